/**
 * Conversion between the ResNet parameter tree and the reference's PyTorch state_dict
 * (names and layouts of `models/preresnet.py`), the form checkpoints take on disk:
 * `conv1.weight`, `layer<s>.<b>.{bn1,select,conv1,bn2,conv2,bn3,conv3,downsample.0}`, `bn`,
 * `select`, `fc`; conv weights OIHW, BN `weight`/`bias`/`running_mean`/`running_var`/
 * `num_batches_tracked`, `select.indexes` a 0/1 float vector over the BN's channels, and
 * `fc.weight` [out, in]. The header metadata holds arch "resnet", the depth, the stage
 * widths (`planes`) and the flat cfg `resprune.py` builds, so the reference's
 * `resnet(depth, cfg=cfg)` loads a full or pruned checkpoint with `strict=True`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BatchNormState,
  CheckpointError,
  f32,
  int64Scalar,
  type NamedArray,
  oihwArray,
  type SafetensorsFile,
  selectedChannels,
  stateDictReader,
  UsageError,
  vectorArray,
} from "@slimming/tensor-utils";
import {
  RESNET_PLANES,
  RESNET_TAG,
  type ResnetCfg,
  type ResnetPlanes,
  validateResnetCfg,
  validateResnetDepth,
} from "./cfg.ts";
import { blockShapes } from "./counts.ts";
import { blockName, type BottleneckParams, type ResnetParams } from "./params.ts";

/** Metadata stored with a ResNet checkpoint (plus any extra strings). */
export function resnetCheckpointMetadata(
  params: Pick<ResnetParams, "depth" | "planes" | "cfg">,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    format: "pt",
    arch: RESNET_TAG,
    depth: String(params.depth),
    planes: JSON.stringify(params.planes),
    cfg: JSON.stringify(params.cfg),
    ...extra,
  };
}

function indexes(width: number, select: readonly number[]): NamedArray {
  const out = new Float32Array(width);
  for (const c of select) out[c] = 1;
  return f32([width], out);
}

/**
 * The PyTorch state_dict of `params`, read asynchronously so it works on every backend.
 * `num_batches_tracked` of every BN is `options.numBatchesTracked` (default 0).
 */
export async function toStateDict(
  params: ResnetParams,
  options: { numBatchesTracked?: number } = {},
): Promise<Record<string, NamedArray>> {
  const dict: Record<string, NamedArray> = {};
  const tracked = options.numBatchesTracked ?? 0;
  const putBn = async (k: string, bn: BatchNormState) => {
    dict[`${k}.weight`] = await vectorArray(bn.gamma);
    dict[`${k}.bias`] = await vectorArray(bn.beta);
    dict[`${k}.running_mean`] = await vectorArray(bn.runningMean);
    dict[`${k}.running_var`] = await vectorArray(bn.runningVar);
    dict[`${k}.num_batches_tracked`] = int64Scalar(tracked);
  };
  dict["conv1.weight"] = await oihwArray(params.conv1);
  for (const [b, block] of params.blocks.entries()) {
    const k = blockName(params.depth, b);
    await putBn(`${k}.bn1`, block.bn1);
    dict[`${k}.select.indexes`] = indexes(block.bn1.gamma.shape[0], block.select);
    dict[`${k}.conv1.weight`] = await oihwArray(block.conv1);
    await putBn(`${k}.bn2`, block.bn2);
    dict[`${k}.conv2.weight`] = await oihwArray(block.conv2);
    await putBn(`${k}.bn3`, block.bn3);
    dict[`${k}.conv3.weight`] = await oihwArray(block.conv3);
    if (block.downsample) dict[`${k}.downsample.0.weight`] = await oihwArray(block.downsample);
  }
  await putBn("bn", params.bn);
  dict["select.indexes"] = indexes(params.bn.gamma.shape[0], params.select);
  const fcT = tf.transpose(params.fc.weight);
  dict["fc.weight"] = f32(fcT.shape, (await fcT.data()) as Float32Array);
  fcT.dispose();
  dict["fc.bias"] = await vectorArray(params.fc.bias);
  return dict;
}

function asCheckpointError<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof UsageError) throw new CheckpointError(`${source}: ${error.message}`);
    throw error;
  }
}

function parseJson(source: string, metadata: Record<string, string>, key: string): unknown {
  try {
    return JSON.parse(metadata[key]);
  } catch {
    throw new CheckpointError(`${source}: the ${key} in the metadata is not JSON`);
  }
}

/** Depth, stage widths and cfg of a ResNet checkpoint's metadata; anything off is a CheckpointError. */
export function resnetShapeFromMetadata(
  metadata: Record<string, string>,
  source = "checkpoint",
): { depth: number; planes: ResnetPlanes; cfg: number[] } {
  if (metadata.arch !== "resnet") {
    const arch = metadata.arch === undefined
      ? "no arch (a VGG checkpoint?)"
      : `arch ${JSON.stringify(metadata.arch)}`;
    throw new CheckpointError(`${source}: ${arch} in the metadata, not resnet`);
  }
  if (metadata.depth === undefined || metadata.cfg === undefined) {
    throw new CheckpointError(`${source}: no depth or cfg in the header metadata`);
  }
  const depth = asCheckpointError(source, () => validateResnetDepth(Number(metadata.depth)));
  const planes = metadata.planes === undefined
    ? RESNET_PLANES
    : parseJson(source, metadata, "planes") as ResnetPlanes;
  if (
    !Array.isArray(planes) || planes.length !== 3 ||
    !planes.every((p) => Number.isSafeInteger(p) && p > 0)
  ) {
    throw new CheckpointError(`${source}: planes in the metadata must be 3 positive integers`);
  }
  const cfg = asCheckpointError(
    source,
    () => validateResnetCfg(parseJson(source, metadata, "cfg"), depth, planes),
  );
  return { depth, planes: [planes[0], planes[1], planes[2]], cfg };
}

/**
 * Reads tensors of `file` by name with shape checks (one-line CheckpointErrors naming the
 * tensor), converting layouts; remembers which names were used and which tensors it made.
 */
function resnetReader(file: SafetensorsFile, source: string) {
  const { take, skip, rejectUnread } = stateDictReader(file, source);
  const tensors: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => (tensors.push(t), t);
  const convAt = (key: string, o: number, i: number, k: number): tf.Tensor4D =>
    track(
      tf.tidy(() => tf.transpose(tf.tensor4d(take(key, [o, i, k, k]), [o, i, k, k]), [2, 3, 1, 0])),
    );
  const bnAt = (k: string, n: number): BatchNormState => {
    skip(`${k}.num_batches_tracked`);
    return {
      gamma: track(tf.tensor1d(take(`${k}.weight`, [n]))),
      beta: track(tf.tensor1d(take(`${k}.bias`, [n]))),
      runningMean: track(tf.tensor1d(take(`${k}.running_mean`, [n]))),
      runningVar: track(tf.tensor1d(take(`${k}.running_var`, [n]))),
    };
  };
  const selectAt = (key: string, width: number, count: number): number[] =>
    selectedChannels(take(key, [width]), count, key, source);
  return { take, track, convAt, bnAt, selectAt, rejectUnread, tensors };
}

/**
 * The parameter tree of a ResNet checkpoint. Checks the arch, depth and cfg in its metadata
 * (and the cfg against `expectedCfg` when given), and every tensor's presence, dtype and
 * shape; anything else is a one-line CheckpointError naming the tensor.
 */
export function fromStateDict(
  file: SafetensorsFile,
  options: { source?: string; expectedCfg?: ResnetCfg; numClasses?: number } = {},
): ResnetParams {
  const source = options.source ?? "checkpoint";
  const { depth, planes, cfg } = resnetShapeFromMetadata(file.metadata, source);
  if (options.expectedCfg && JSON.stringify(options.expectedCfg) !== JSON.stringify(cfg)) {
    throw new CheckpointError(
      `${source}: its cfg ${JSON.stringify(cfg)} is not the expected ${
        JSON.stringify(options.expectedCfg)
      }`,
    );
  }
  const { take, track, convAt, bnAt, selectAt, rejectUnread, tensors } = resnetReader(
    file,
    source,
  );
  try {
    const conv1 = convAt("conv1.weight", planes[0], 3, 3);
    const blocks = blockShapes(cfg, depth, planes).map((shape, b): BottleneckParams => {
      const k = blockName(depth, b);
      const [a, c1, c2] = shape.cfg;
      return {
        bn1: bnAt(`${k}.bn1`, shape.inWidth),
        select: selectAt(`${k}.select.indexes`, shape.inWidth, a),
        conv1: convAt(`${k}.conv1.weight`, c1, a, 1),
        bn2: bnAt(`${k}.bn2`, c1),
        conv2: convAt(`${k}.conv2.weight`, c2, c1, 3),
        bn3: bnAt(`${k}.bn3`, c2),
        conv3: convAt(`${k}.conv3.weight`, shape.outWidth, c2, 1),
        ...(shape.downsample
          ? { downsample: convAt(`${k}.downsample.0.weight`, shape.outWidth, shape.inWidth, 1) }
          : {}),
      };
    });
    const last = planes[2] * 4;
    const bn = bnAt("bn", last);
    const head = cfg[cfg.length - 1];
    const select = selectAt("select.indexes", last, head);
    const numClasses = options.numClasses ?? file.tensors["fc.weight"]?.shape[0] ?? 10;
    const w = take("fc.weight", [numClasses, head]);
    const fc = {
      weight: track(tf.tidy(() => tf.transpose(tf.tensor2d(w, [numClasses, head])))) as tf.Tensor2D,
      bias: track(tf.tensor1d(take("fc.bias", [numClasses]))),
    };
    rejectUnread(`cfg ${JSON.stringify(cfg)}`);
    return { arch: RESNET_TAG, depth, planes, cfg, conv1, blocks, bn, select, fc };
  } catch (error) {
    for (const t of tensors) t.dispose();
    throw error;
  }
}
