/**
 * Conversion between the CIFAR ResNet parameter tree and its PyTorch state_dict, the form
 * checkpoints take on disk (torchvision's ResNet names): `conv1.weight`, `bn1.*`,
 * `layer<s>.<b>.{conv1,bn1,conv2,bn2}`, `layer<s>.<b>.downsample.0.weight` (1x1 conv) and
 * `layer<s>.<b>.downsample.1.*` (its BN), `fc.weight` [out, in], `fc.bias`. Convs are OIHW;
 * BN tensors `weight`, `bias`, `running_mean`, `running_var` (F32) and
 * `num_batches_tracked` (I64). The header metadata holds arch "cifar-resnet", the depth,
 * the stage widths (`planes`) and the cfg (inner width per block), so the PyTorch twin
 * (`tests/tools/cifar_resnet_ref.py`) builds the model and loads it with `strict=True`.
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
  stateDictReader,
  UsageError,
  vectorArray,
} from "@slimming/tensor-utils";
import {
  CIFAR_RESNET_ARCH,
  cifarResnetBlockName,
  type CifarResnetSpec,
  validateCifarResnetSpec,
} from "./cfg.ts";
import { cifarResnetBlockShapes } from "./counts.ts";
import type { BasicBlockParams, CifarResnetParams } from "./params.ts";

/** Metadata stored with a checkpoint: format, arch, depth, planes, cfg, plus `extra`. */
export function cifarResnetMetadata(
  spec: CifarResnetSpec,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    format: "pt",
    arch: CIFAR_RESNET_ARCH,
    depth: String(spec.depth),
    planes: JSON.stringify(spec.planes),
    cfg: JSON.stringify(spec.cfg),
    ...extra,
  };
}

/**
 * The PyTorch state_dict of `params`, in PyTorch's key order, read asynchronously so it
 * works on every backend. Every BN's `num_batches_tracked` is `options.numBatchesTracked`
 * (default 0).
 */
export async function cifarResnetToStateDict(
  params: CifarResnetParams,
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
  await putBn("bn1", params.bn1);
  for (const [b, block] of params.residualBlocks.entries()) {
    const k = cifarResnetBlockName(params.depth, b);
    dict[`${k}.conv1.weight`] = await oihwArray(block.conv1);
    await putBn(`${k}.bn1`, block.bn1);
    dict[`${k}.conv2.weight`] = await oihwArray(block.conv2);
    await putBn(`${k}.bn2`, block.bn2);
    if (block.downsample) {
      dict[`${k}.downsample.0.weight`] = await oihwArray(block.downsample.conv);
      await putBn(`${k}.downsample.1`, block.downsample.bn);
    }
  }
  const fcT = tf.transpose(params.fc.weight);
  dict["fc.weight"] = f32(fcT.shape, (await fcT.data()) as Float32Array);
  fcT.dispose();
  dict["fc.bias"] = await vectorArray(params.fc.bias);
  return dict;
}

/** The spec a checkpoint's metadata names; anything missing or off is a CheckpointError. */
export function cifarResnetSpecFromMetadata(
  metadata: Record<string, string>,
  source = "checkpoint",
): CifarResnetSpec {
  if (metadata.arch !== CIFAR_RESNET_ARCH) {
    const arch = metadata.arch === undefined
      ? "no arch (a VGG checkpoint?)"
      : `arch ${JSON.stringify(metadata.arch)}`;
    throw new CheckpointError(`${source}: ${arch} in the metadata, not ${CIFAR_RESNET_ARCH}`);
  }
  for (const key of ["depth", "planes", "cfg"]) {
    if (metadata[key] === undefined) {
      throw new CheckpointError(`${source}: no ${key} in the header metadata`);
    }
  }
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch {
      throw new CheckpointError(`${source}: the ${key} in the metadata is not JSON`);
    }
  };
  try {
    return validateCifarResnetSpec({
      depth: Number(metadata.depth),
      planes: json("planes") as CifarResnetSpec["planes"],
      cfg: json("cfg") as number[],
    });
  } catch (error) {
    if (error instanceof UsageError) throw new CheckpointError(`${source}: ${error.message}`);
    throw error;
  }
}

/**
 * The parameter tree of a checkpoint. Checks the arch and spec in its metadata (and the cfg
 * against `expectedCfg` when given), and every tensor's presence, dtype and shape; anything
 * else (a missing or an unexpected tensor included) is a one-line CheckpointError naming it.
 */
export function cifarResnetFromStateDict(
  file: SafetensorsFile,
  options: { source?: string; expectedCfg?: readonly number[]; numClasses?: number } = {},
): CifarResnetParams {
  const source = options.source ?? "checkpoint";
  const spec = cifarResnetSpecFromMetadata(file.metadata, source);
  if (options.expectedCfg && JSON.stringify(options.expectedCfg) !== JSON.stringify(spec.cfg)) {
    throw new CheckpointError(
      `${source}: its cfg ${JSON.stringify(spec.cfg)} is not the expected ${
        JSON.stringify(options.expectedCfg)
      }`,
    );
  }
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
  try {
    const p0 = spec.planes[0];
    const conv1 = convAt("conv1.weight", p0, 3, 3);
    const bn1 = bnAt("bn1", p0);
    const residualBlocks = cifarResnetBlockShapes(spec).map((s, b): BasicBlockParams => {
      const k = cifarResnetBlockName(spec.depth, b);
      return {
        conv1: convAt(`${k}.conv1.weight`, s.inner, s.inWidth, 3),
        bn1: bnAt(`${k}.bn1`, s.inner),
        conv2: convAt(`${k}.conv2.weight`, s.outWidth, s.inner, 3),
        bn2: bnAt(`${k}.bn2`, s.outWidth),
        ...(s.projection
          ? {
            downsample: {
              conv: convAt(`${k}.downsample.0.weight`, s.outWidth, s.inWidth, 1),
              bn: bnAt(`${k}.downsample.1`, s.outWidth),
            },
          }
          : {}),
      };
    });
    const head = spec.planes[2];
    const numClasses = options.numClasses ?? file.tensors["fc.weight"]?.shape[0] ?? 10;
    const w = take("fc.weight", [numClasses, head]);
    const fc = {
      weight: track(tf.tidy(() => tf.transpose(tf.tensor2d(w, [numClasses, head])))) as tf.Tensor2D,
      bias: track(tf.tensor1d(take("fc.bias", [numClasses]))),
    };
    rejectUnread(`cfg ${JSON.stringify(spec.cfg)}`);
    return { arch: CIFAR_RESNET_ARCH, ...spec, conv1, bn1, residualBlocks, fc };
  } catch (error) {
    for (const t of tensors) t.dispose();
    throw error;
  }
}
