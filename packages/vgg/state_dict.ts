/**
 * Conversion between the parameter tree and the reference's PyTorch state_dict (names
 * and layouts), the form checkpoints take on disk.
 *
 * Names follow `models/vgg.py`: `feature.<i>` indexes the nn.Sequential of
 * [conv, bn, relu] triples and "M" max-pools; conv weights are OIHW, BN tensors are
 * `weight` (gamma), `bias` (beta), `running_mean`, `running_var`, `num_batches_tracked`;
 * the head is `classifier.weight` [out, in] and `classifier.bias`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointError,
  f32,
  type NamedArray,
  type SafetensorsFile,
  stateDictReader,
  UsageError,
} from "@slimming/tensor-utils";
import { type Cfg, type CfgItem, convChannels, validateCfg, VGG_TAG } from "./cfg.ts";
import type { ConvBnParams, VggParams } from "./params.ts";

/** The state_dict index of each conv layer and its BN layer, in order. */
export function featureIndices(cfg: Cfg): Array<{ conv: number; bn: number }> {
  const out: Array<{ conv: number; bn: number }> = [];
  let i = 0;
  for (const v of cfg) {
    if (v === "M") {
      i += 1;
    } else {
      out.push({ conv: i, bn: i + 1 });
      i += 3;
    }
  }
  return out;
}

/** The state_dict key of each BN layer's gamma (`feature.<i>.weight`), in layer order. */
export function gammaKeys(cfg: Cfg): string[] {
  return featureIndices(cfg).map(({ bn }) => `feature.${bn}.weight`);
}

function permute(
  src: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = new Array<number>(rank);
  srcStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) srcStrides[d] = srcStrides[d + 1] * shape[d + 1];
  const out = new Float32Array(src.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += idx[d] * srcStrides[perm[d]];
    out[o] = src[s];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Metadata stored with a checkpoint: the cfg as JSON plus any extra strings. */
export function checkpointMetadata(
  cfg: Cfg,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { format: "pt", arch: VGG_TAG, cfg: JSON.stringify(cfg), ...extra };
}

/**
 * The PyTorch state_dict of `params` (OIHW convs, [out, in] linear), read asynchronously so it
 * works on every backend.
 */
export async function toStateDict(
  params: VggParams,
  options: { numBatchesTracked?: number } = {},
): Promise<Record<string, NamedArray>> {
  const dict: Record<string, NamedArray> = {};
  const indices = featureIndices(params.cfg);
  for (const [layer, { conv, bn }] of params.features.entries()) {
    const w = conv.weight;
    dict[`feature.${indices[layer].conv}.weight`] = f32(
      [w.shape[3], w.shape[2], 3, 3],
      permute(await w.data() as Float32Array, w.shape, [3, 2, 0, 1]),
    );
    const k = `feature.${indices[layer].bn}`;
    dict[`${k}.weight`] = f32(bn.gamma.shape, (await bn.gamma.data()) as Float32Array);
    dict[`${k}.bias`] = f32(bn.beta.shape, (await bn.beta.data()) as Float32Array);
    dict[`${k}.running_mean`] = f32(
      bn.runningMean.shape,
      (await bn.runningMean.data()) as Float32Array,
    );
    dict[`${k}.running_var`] = f32(
      bn.runningVar.shape,
      (await bn.runningVar.data()) as Float32Array,
    );
    const tracked = new Uint8Array(8);
    new DataView(tracked.buffer).setBigInt64(0, BigInt(options.numBatchesTracked ?? 0), true);
    dict[`${k}.num_batches_tracked`] = { dtype: "I64", shape: [], data: tracked };
  }
  const cw = params.classifier.weight;
  dict["classifier.weight"] = f32(
    [cw.shape[1], cw.shape[0]],
    permute(await cw.data() as Float32Array, cw.shape, [1, 0]),
  );
  dict["classifier.bias"] = f32(
    params.classifier.bias.shape,
    (await params.classifier.bias.data()) as Float32Array,
  );
  return dict;
}

/** The cfg stored in a checkpoint's metadata; a missing or invalid one is a CheckpointError. */
export function cfgFromMetadata(
  metadata: Record<string, string>,
  source = "checkpoint",
): CfgItem[] {
  if (!metadata.cfg) throw new CheckpointError(`${source}: no cfg in the header metadata`);
  let cfg: unknown;
  try {
    cfg = JSON.parse(metadata.cfg);
  } catch {
    throw new CheckpointError(`${source}: the cfg in the metadata is not JSON`);
  }
  try {
    return [...validateCfg(cfg)];
  } catch (error) {
    if (error instanceof UsageError) throw new CheckpointError(`${source}: ${error.message}`);
    throw error;
  }
}

/**
 * The parameter tree of a checkpoint. Checks every tensor's presence, dtype and shape against
 * the cfg in its metadata (and against `expectedCfg` when given); anything else is a
 * CheckpointError naming the tensor.
 */
export function fromStateDict(
  file: SafetensorsFile,
  options: { source?: string; expectedCfg?: Cfg; numClasses?: number } = {},
): VggParams {
  const source = options.source ?? "checkpoint";
  const cfg = cfgFromMetadata(file.metadata, source);
  if (options.expectedCfg && JSON.stringify(options.expectedCfg) !== JSON.stringify(cfg)) {
    throw new CheckpointError(
      `${source}: its cfg ${JSON.stringify(cfg)} is not the expected ${
        JSON.stringify(options.expectedCfg)
      }`,
    );
  }
  const { take, skip, rejectUnread } = stateDictReader(file, source);
  const channels = convChannels(cfg);
  const indices = featureIndices(cfg);
  let inChannels = 3;
  const tensors: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => (tensors.push(t), t);
  try {
    const features = channels.map((out, layer): ConvBnParams => {
      const ki = `feature.${indices[layer].conv}`;
      const kb = `feature.${indices[layer].bn}`;
      const oihw = take(`${ki}.weight`, [out, inChannels, 3, 3]);
      const hwio = permute(oihw, [out, inChannels, 3, 3], [2, 3, 1, 0]);
      const weight = track(tf.tensor4d(hwio, [3, 3, inChannels, out]));
      inChannels = out;
      skip(`${kb}.num_batches_tracked`);
      return {
        conv: { weight },
        bn: {
          gamma: track(tf.tensor1d(take(`${kb}.weight`, [out]))),
          beta: track(tf.tensor1d(take(`${kb}.bias`, [out]))),
          runningMean: track(tf.tensor1d(take(`${kb}.running_mean`, [out]))),
          runningVar: track(tf.tensor1d(take(`${kb}.running_var`, [out]))),
        },
      };
    });
    const headShape = file.tensors["classifier.weight"]?.shape ?? [];
    const numClasses = options.numClasses ?? headShape[0] ?? 10;
    const head = take("classifier.weight", [numClasses, inChannels]);
    const classifier = {
      weight: track(
        tf.tensor2d(permute(head, [numClasses, inChannels], [1, 0]), [inChannels, numClasses]),
      ),
      bias: track(tf.tensor1d(take("classifier.bias", [numClasses]))),
    };
    rejectUnread(`cfg ${JSON.stringify(cfg)}`);
    return { arch: VGG_TAG, cfg, features, classifier };
  } catch (error) {
    for (const t of tensors) t.dispose();
    throw error;
  }
}
