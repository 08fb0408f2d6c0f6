/**
 * Checkpoints on disk: the model as the reference's PyTorch state_dict in safetensors (cfg in
 * the metadata), and the optimizer's momentum buffers beside it. Written atomically.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointError,
  encodeSafetensors,
  f32,
  type NamedArray,
  readSafetensors,
  writeFileAtomic,
} from "@slimming/tensor-utils";
import {
  type Cfg,
  cfgFromMetadata,
  type CfgItem,
  checkpointMetadata,
  fromStateDict,
  toStateDict,
  trainableLeaves,
  type VggParams,
} from "@slimming/vgg";

/** Encodes a model as safetensors bytes with `cfg` and `extra` in the metadata. */
export async function encodeModel(
  params: VggParams,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  return encodeSafetensors(await toStateDict(params), checkpointMetadata(params.cfg, extra));
}

/** Writes a model checkpoint atomically. */
export async function saveModel(
  path: string,
  params: VggParams,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  const bytes = await encodeModel(params, extra);
  await writeFileAtomic(path, bytes);
  return bytes;
}

/** A loaded model checkpoint with its metadata. */
export interface LoadedModel {
  readonly params: VggParams;
  readonly metadata: Record<string, string>;
}

/** The cfg in a checkpoint's metadata, without building its tensors. */
export async function checkpointCfg(path: string): Promise<CfgItem[]> {
  return cfgFromMetadata((await readSafetensors(path)).metadata, path);
}

/** Reads a model checkpoint; any problem is a one-line CheckpointError naming the file. */
export async function loadModel(
  path: string,
  options: { expectedCfg?: Cfg } = {},
): Promise<LoadedModel> {
  const file = await readSafetensors(path);
  return {
    params: fromStateDict(file, { source: path, expectedCfg: options.expectedCfg }),
    metadata: file.metadata,
  };
}

/** Writes momentum buffers (named like the trainable tensors) with the epoch and the model hash. */
export async function saveOptimizer(
  path: string,
  params: VggParams,
  buffers: readonly tf.Tensor[] | null,
  metadata: Record<string, string>,
): Promise<void> {
  const tensors: Record<string, NamedArray> = {};
  if (buffers) {
    const names = trainableLeaves(params).map(([name]) => name);
    for (const [i, name] of names.entries()) {
      tensors[`momentum.${name}`] = f32(
        buffers[i].shape,
        (await buffers[i].data()) as Float32Array,
      );
    }
  }
  await writeFileAtomic(
    path,
    encodeSafetensors(tensors, { ...metadata, hasMomentum: buffers ? "1" : "0" }),
  );
}

/** Reads momentum buffers for `params` (null when the file says there were none yet). */
export async function loadOptimizer(
  path: string,
  params: VggParams,
): Promise<{ buffers: tf.Tensor[] | null; metadata: Record<string, string> }> {
  const file = await readSafetensors(path);
  if (file.metadata.hasMomentum !== "1") return { buffers: null, metadata: file.metadata };
  const buffers: tf.Tensor[] = [];
  try {
    for (const [name, t] of trainableLeaves(params)) {
      const entry = file.tensors[`momentum.${name}`];
      if (!entry || entry.dtype !== "F32" || entry.shape.join() !== t.shape.join()) {
        throw new CheckpointError(
          `${path}: momentum for ${name} is missing or has the wrong shape`,
        );
      }
      buffers.push(tf.tensor(entry.data as Float32Array, t.shape));
    }
  } catch (error) {
    for (const b of buffers) b.dispose();
    throw error;
  }
  return { buffers, metadata: file.metadata };
}
