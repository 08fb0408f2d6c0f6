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
  architectureOf,
  architectureOfMetadata,
  type CfgItem,
  type ModelParams,
  type ModelSpec,
  sameSpec,
} from "@slimming/architectures";

/** Encodes a model as safetensors bytes with its spec (arch, cfg) and `extra` in the metadata. */
export async function encodeModel(
  params: ModelParams,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  const arch = architectureOf(params);
  return encodeSafetensors(await arch.toStateDict(params), arch.metadata(params, extra));
}

/** Writes a model checkpoint atomically. */
export async function saveModel(
  path: string,
  params: ModelParams,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  const bytes = await encodeModel(params, extra);
  await writeFileAtomic(path, bytes);
  return bytes;
}

/** A loaded model checkpoint with its metadata. */
export interface LoadedModel {
  readonly params: ModelParams;
  readonly metadata: Record<string, string>;
}

/** The model spec (arch, cfg) in a checkpoint's metadata, without building its tensors. */
export async function checkpointSpec(path: string): Promise<ModelSpec> {
  const { metadata } = await readSafetensors(path);
  return architectureOfMetadata(metadata, path).specFromMetadata(metadata, path);
}

/** The cfg in a checkpoint's metadata, without building its tensors. */
export async function checkpointCfg(path: string): Promise<CfgItem[]> {
  return (await checkpointSpec(path)).cfg;
}

/** Reads a model checkpoint; any problem is a one-line CheckpointError naming the file. */
export async function loadModel(
  path: string,
  options: { expectedSpec?: ModelSpec } = {},
): Promise<LoadedModel> {
  const file = await readSafetensors(path);
  const arch = architectureOfMetadata(file.metadata, path);
  const spec = arch.specFromMetadata(file.metadata, path);
  const expected = options.expectedSpec;
  if (expected && !sameSpec(spec, expected)) {
    throw new CheckpointError(
      `${path}: it holds ${describeSpec(spec)}, not the expected ${describeSpec(expected)}`,
    );
  }
  return { params: arch.fromStateDict(file, path), metadata: file.metadata };
}

/** One-line description of a spec for messages: `<arch> cfg [..]`, `<arch>-<depth> cfg [..]`. */
export function describeSpec(spec: ModelSpec): string {
  const name = spec.depth === undefined ? spec.arch : `${spec.arch}-${spec.depth}`;
  return `${name} cfg ${JSON.stringify(spec.cfg)}`;
}

/** Writes momentum buffers (named like the trainable tensors) with the epoch and the model hash. */
export async function saveOptimizer(
  path: string,
  params: ModelParams,
  buffers: readonly tf.Tensor[] | null,
  metadata: Record<string, string>,
): Promise<void> {
  const tensors: Record<string, NamedArray> = {};
  if (buffers) {
    const names = architectureOf(params).ops.trainableLeaves(params).map(([name]) => name);
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
  params: ModelParams,
): Promise<{ buffers: tf.Tensor[] | null; metadata: Record<string, string> }> {
  const file = await readSafetensors(path);
  if (file.metadata.hasMomentum !== "1") return { buffers: null, metadata: file.metadata };
  const buffers: tf.Tensor[] = [];
  try {
    for (const [name, t] of architectureOf(params).ops.trainableLeaves(params)) {
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
