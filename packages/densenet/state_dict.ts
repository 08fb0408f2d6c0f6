/**
 * Conversion between the parameter tree and the reference's PyTorch state_dict (names and
 * layouts of `models/densenet.py`), the form checkpoints take on disk.
 *
 * Names: `conv1.weight`; per dense layer `dense<b>.<i>.bn1.*`, `dense<b>.<i>.select.indexes`,
 * `dense<b>.<i>.conv1.weight`; per transition the same under `trans<b>`; the final
 * `bn.*`, `select.indexes`; `fc.weight` [out, in] and `fc.bias`. Convs are OIHW, BN tensors
 * `weight` (gamma), `bias` (beta), `running_mean`, `running_var`, `num_batches_tracked`
 * (I64), and `select.indexes` the F32 0/1 vector of kept channels at the BN's full width.
 * The header metadata holds arch "densenet", depth, growthRate and the flat cfg.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointError,
  f32,
  type NamedArray,
  oihwArray,
  type SafetensorsFile,
  selectedChannels,
  type StateDictReader,
  stateDictReader,
  UsageError,
  vectorArray,
} from "@slimming/tensor-utils";
import { DENSENET_TAG, densenetBnWidths, type DensenetSpec, validateDensenetSpec } from "./cfg.ts";
import {
  type DensenetParams,
  type DensenetUnit,
  type SelectedBn,
  selectedBns,
  unitPaths,
} from "./params.ts";

/** The state_dict prefix of each BN layer in forward order (`dense1.0.bn1`, ..., `bn`). */
export function bnKeys(depth: number): string[] {
  return [...unitPaths({ depth }).map((p) => `${p}.bn1`), "bn"];
}

/** The state_dict key of each BN layer's gamma, in forward order. */
export function densenetGammaKeys(depth: number): string[] {
  return bnKeys(depth).map((k) => `${k}.weight`);
}

function selectKey(bnKey: string): string {
  return bnKey === "bn" ? "select.indexes" : bnKey.replace(/bn1$/, "select.indexes");
}

/** Metadata stored with a checkpoint: arch, depth, growth rate, cfg, plus extra strings. */
export function densenetMetadata(
  spec: DensenetSpec,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    format: "pt",
    arch: DENSENET_TAG,
    depth: String(spec.depth),
    growthRate: String(spec.growthRate),
    cfg: JSON.stringify(spec.cfg),
    ...extra,
  };
}

/**
 * The PyTorch state_dict of `params`, read asynchronously so it works on every backend.
 * `num_batches_tracked` is `numBatchesTracked` (default 0) for every BN.
 */
export async function toStateDict(
  params: DensenetParams,
  options: { numBatchesTracked?: number } = {},
): Promise<Record<string, NamedArray>> {
  const dict: Record<string, NamedArray> = { "conv1.weight": await oihwArray(params.conv1.weight) };
  const units: Array<SelectedBn & { conv?: DensenetUnit["conv"] }> = selectedBns(params);
  const keys = bnKeys(params.depth);
  for (const [i, u] of units.entries()) {
    const k = keys[i];
    dict[`${k}.weight`] = await vectorArray(u.bn.gamma);
    dict[`${k}.bias`] = await vectorArray(u.bn.beta);
    dict[`${k}.running_mean`] = await vectorArray(u.bn.runningMean);
    dict[`${k}.running_var`] = await vectorArray(u.bn.runningVar);
    const tracked = new Uint8Array(8);
    new DataView(tracked.buffer).setBigInt64(0, BigInt(options.numBatchesTracked ?? 0), true);
    dict[`${k}.num_batches_tracked`] = { dtype: "I64", shape: [], data: tracked };
    const indexes = new Float32Array(u.bn.gamma.shape[0]);
    for (const c of u.selected) indexes[c] = 1;
    dict[selectKey(k)] = f32([indexes.length], indexes);
    if (u.conv) dict[k.replace(/bn1$/, "conv1.weight")] = await oihwArray(u.conv.weight);
  }
  const fcw = tf.transpose(params.fc.weight);
  dict["fc.weight"] = f32(fcw.shape, (await fcw.data()) as Float32Array);
  fcw.dispose();
  dict["fc.bias"] = await vectorArray(params.fc.bias);
  return dict;
}

/** The spec stored in a checkpoint's metadata; a missing or invalid one is a CheckpointError. */
export function specFromMetadata(
  metadata: Record<string, string>,
  source = "checkpoint",
): DensenetSpec {
  const arch = metadata.arch ?? "vgg";
  if (arch !== "densenet") {
    throw new CheckpointError(`${source}: a ${arch} checkpoint, not a densenet one`);
  }
  for (const key of ["depth", "growthRate", "cfg"]) {
    if (!metadata[key]) throw new CheckpointError(`${source}: no ${key} in the header metadata`);
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(metadata.cfg);
  } catch {
    throw new CheckpointError(`${source}: the cfg in the metadata is not JSON`);
  }
  const spec = {
    depth: Number(metadata.depth),
    growthRate: Number(metadata.growthRate),
    cfg: cfg as number[],
  };
  try {
    return validateDensenetSpec(spec);
  } catch (error) {
    if (error instanceof UsageError) throw new CheckpointError(`${source}: ${error.message}`);
    throw error;
  }
}

/**
 * The parameter tree of a checkpoint. Checks arch, spec, every tensor's presence, dtype and
 * shape against the spec in its metadata (and the cfg against `expectedCfg` when given);
 * anything else is a one-line CheckpointError naming the tensor.
 */
export function fromStateDict(
  file: SafetensorsFile,
  options: { source?: string; expectedCfg?: readonly number[]; numClasses?: number } = {},
): DensenetParams {
  const source = options.source ?? "checkpoint";
  const spec = specFromMetadata(file.metadata, source);
  if (options.expectedCfg && JSON.stringify(options.expectedCfg) !== JSON.stringify(spec.cfg)) {
    throw new CheckpointError(
      `${source}: its cfg ${JSON.stringify(spec.cfg)} is not the expected ${
        JSON.stringify(options.expectedCfg)
      }`,
    );
  }
  const reader = stateDictReader(file, source);
  const take = reader.take;
  const tensors: tf.Tensor[] = [];
  const t4 = (key: string, oihwShape: number[]): tf.Tensor4D => {
    const raw = tf.tensor4d(take(key, oihwShape), oihwShape as [number, number, number, number]);
    const hwio = tf.transpose(raw, [2, 3, 1, 0]);
    raw.dispose();
    tensors.push(hwio);
    return hwio;
  };
  const t1 = (key: string, width: number): tf.Tensor1D => {
    const t = tf.tensor1d(take(key, [width]));
    tensors.push(t);
    return t;
  };
  try {
    return buildParams(spec, file, {
      t4,
      t1,
      reader,
      source,
      numClasses: options.numClasses,
      tensors,
    });
  } catch (error) {
    for (const t of tensors) t.dispose();
    throw error;
  }
}

interface Readers {
  t4(key: string, oihwShape: number[]): tf.Tensor4D;
  t1(key: string, width: number): tf.Tensor1D;
  reader: StateDictReader;
  source: string;
  numClasses?: number;
  tensors: tf.Tensor[];
}

function buildParams(spec: DensenetSpec, file: SafetensorsFile, r: Readers): DensenetParams {
  const { depth, growthRate: g, cfg } = spec;
  const widths = densenetBnWidths(depth, g);
  const keys = bnKeys(depth);
  const conv1 = { weight: r.t4("conv1.weight", [2 * g, 3, 3, 3]) };
  const units = keys.map((k, i): SelectedBn & { conv?: DensenetUnit["conv"] } => {
    const width = widths[i];
    r.reader.skip(`${k}.num_batches_tracked`);
    const sk = selectKey(k);
    const bn = {
      gamma: r.t1(`${k}.weight`, width),
      beta: r.t1(`${k}.bias`, width),
      runningMean: r.t1(`${k}.running_mean`, width),
      runningVar: r.t1(`${k}.running_var`, width),
    };
    const selected = selectedChannels(r.reader.take(sk, [width]), cfg[i], sk, r.source);
    if (k === "bn") return { bn, selected };
    const isTransition = k.startsWith("trans");
    const shape = isTransition ? [width, cfg[i], 1, 1] : [g, cfg[i], 3, 3];
    return { bn, selected, conv: { weight: r.t4(k.replace(/bn1$/, "conv1.weight"), shape) } };
  });
  const headShape = file.tensors["fc.weight"]?.shape ?? [];
  const numClasses = r.numClasses ?? headShape[0] ?? 10;
  const last = cfg[cfg.length - 1];
  const head = tf.tensor2d(r.reader.take("fc.weight", [numClasses, last]), [numClasses, last]);
  const fcWeight = tf.transpose(head) as tf.Tensor2D;
  head.dispose();
  r.tensors.push(fcWeight);
  const fc = { weight: fcWeight, bias: r.t1("fc.bias", numClasses) };
  r.reader.rejectUnread(`a depth-${depth} DenseNet`);
  const n = (depth - 4) / 3;
  const convUnits = units.slice(0, -1) as DensenetUnit[];
  return {
    arch: DENSENET_TAG,
    depth,
    growthRate: g,
    cfg: [...cfg],
    conv1,
    dense: [0, 1, 2].map((b) => convUnits.slice(b * (n + 1), b * (n + 1) + n)),
    trans: [0, 1].map((b) => convUnits[b * (n + 1) + n]),
    final: units[units.length - 1],
    fc,
  };
}
