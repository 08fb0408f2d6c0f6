/**
 * The DenseNet parameter tree and its initialisation (the reference's `densenet.__init__`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, createRng, type RunningStats } from "@slimming/tensor-utils";
import {
  defaultDensenetCfg,
  denseLayersPerBlock,
  DENSENET_TAG,
  densenetBnWidths,
  densenetGrowth,
  validateDensenetSpec,
} from "./cfg.ts";

/**
 * A BN layer followed by its channel selection: `selected` lists the kept channel indices
 * (ascending; all of them in an unpruned model). The reference stores this as the 0/1
 * vector `select.indexes`.
 */
export interface SelectedBn {
  readonly bn: BatchNormState;
  readonly selected: readonly number[];
}

/**
 * A dense layer (conv3x3, HWIO [3, 3, kept, g]) or a transition (conv1x1, HWIO [1, 1, kept,
 * width]) with the BN and selection before it.
 */
export interface DensenetUnit extends SelectedBn {
  readonly conv: { readonly weight: tf.Tensor4D };
}

/** A DenseNet: its spec, the first conv, three dense blocks, two transitions, head. */
export interface DensenetParams {
  /** The architecture tag. */
  readonly arch: typeof DENSENET_TAG;
  readonly depth: number;
  /** The effective growth rate (after any width scaling). */
  readonly growthRate: number;
  /** Kept channels per BN layer (the reference's flat cfg). */
  readonly cfg: readonly number[];
  /** conv3x3, 3 -> 2g, HWIO. */
  readonly conv1: { readonly weight: tf.Tensor4D };
  /** Three blocks of n dense layers each. */
  readonly dense: readonly (readonly DensenetUnit[])[];
  /** The two transitions. */
  readonly trans: readonly DensenetUnit[];
  /** The final BN and selection. */
  readonly final: SelectedBn;
  /** Linear head, weight [in, out] and bias. */
  readonly fc: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

/** Options of {@linkcode initDensenet}. */
export interface InitDensenetOptions {
  /** 3n+4 (40 in the paper). */
  readonly depth: number;
  /** Default 12. */
  readonly growthRate?: number;
  /** Scales the growth rate (see `densenetGrowth`); default 1. */
  readonly width?: number;
  /** Kept channels per BN (a pruned shape); default every channel. */
  readonly cfg?: readonly number[];
  readonly numClasses: number;
  readonly seed: number;
}

function normal(shape: number[], std: number, seed: number, ...path: number[]): tf.Tensor {
  const rng = createRng(seed, ...path);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
  return tf.tensor(out, shape);
}

function uniform(shape: number[], bound: number, seed: number, ...path: number[]): tf.Tensor {
  const rng = createRng(seed, ...path);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * bound;
  return tf.tensor(out, shape);
}

function freshBn(width: number, selected: readonly number[]): SelectedBn {
  return {
    bn: {
      gamma: tf.fill([width], 0.5) as tf.Tensor1D,
      beta: tf.zeros([width]) as tf.Tensor1D,
      runningMean: tf.zeros([width]) as tf.Tensor1D,
      runningVar: tf.ones([width]) as tf.Tensor1D,
    },
    selected,
  };
}

/** The first `count` channel indices. */
function firstChannels(count: number): number[] {
  return Array.from({ length: count }, (_, c) => c);
}

/**
 * A new DenseNet with the reference initialisation: conv weights N(0, sqrt(2 / (k*k*out))),
 * BN gamma 0.5 and beta 0 (running mean 0, variance 1), and PyTorch's default nn.Linear
 * init U(-1/sqrt(in), 1/sqrt(in)) for the head's weight and bias (the reference leaves the
 * Linear at its default). Given a pruned `cfg`, each selection keeps the first cfg[i]
 * channels (a shape for loading a checkpoint into; the values come from the file).
 */
export function initDensenet(options: InitDensenetOptions): DensenetParams {
  const growthRate = densenetGrowth(options.growthRate ?? 12, options.width ?? 1);
  const { depth, numClasses, seed } = options;
  const cfg = [...(options.cfg ?? defaultDensenetCfg(depth, growthRate))];
  validateDensenetSpec({ depth, growthRate, cfg });
  const n = denseLayersPerBlock(depth);
  const widths = densenetBnWidths(depth, growthRate);
  const g = growthRate;
  const conv1 = {
    weight: normal([3, 3, 3, 2 * g], Math.sqrt(2 / (9 * 2 * g)), seed, 1) as tf.Tensor4D,
  };
  const unit = (i: number, k: number, out: number): DensenetUnit => ({
    ...freshBn(widths[i], firstChannels(cfg[i])),
    conv: {
      weight: normal([k, k, cfg[i], out], Math.sqrt(2 / (k * k * out)), seed, 2, i) as tf.Tensor4D,
    },
  });
  const dense: DensenetUnit[][] = [];
  const trans: DensenetUnit[] = [];
  for (let block = 0; block < 3; block++) {
    const base = block * (n + 1);
    dense.push(Array.from({ length: n }, (_, i) => unit(base + i, 3, g)));
    if (block < 2) trans.push(unit(base + n, 1, widths[base + n]));
  }
  const last = widths.length - 1;
  const bound = 1 / Math.sqrt(cfg[last]);
  return {
    arch: DENSENET_TAG,
    depth,
    growthRate,
    cfg,
    conv1,
    dense,
    trans,
    final: freshBn(widths[last], firstChannels(cfg[last])),
    fc: {
      weight: uniform([cfg[last], numClasses], bound, seed, 3) as tf.Tensor2D,
      bias: uniform([numClasses], bound, seed, 4) as tf.Tensor1D,
    },
  };
}

/** Every BN layer with its selection, in forward order (dense1, trans1, ..., final). */
export function selectedBns(params: DensenetParams): SelectedBn[] {
  return [...densenetUnits(params), params.final];
}

/** Dense layers and transitions (everything with a conv after its BN), in forward order. */
export function densenetUnits(params: DensenetParams): DensenetUnit[] {
  return params.dense.flatMap((block, b) => b < 2 ? [...block, params.trans[b]] : [...block]);
}

/** The PyTorch module path of each BN layer in forward order (`dense1.0`, `trans1`, ...). */
export function unitPaths(params: { depth: number }): string[] {
  const n = denseLayersPerBlock(params.depth);
  const paths: string[] = [];
  for (let block = 1; block <= 3; block++) {
    for (let i = 0; i < n; i++) paths.push(`dense${block}.${i}`);
    if (block < 3) paths.push(`trans${block}`);
  }
  return paths;
}

/**
 * Rebuilds a tree like `params` from per-unit replacements (forward order, final BN last),
 * keeping spec, selections and everything `edit` leaves out.
 */
export function mapUnits(
  params: DensenetParams,
  edit: (unit: SelectedBn & { conv?: DensenetUnit["conv"] }, i: number) => Partial<DensenetUnit>,
  rest: Partial<Pick<DensenetParams, "conv1" | "fc" | "cfg">> = {},
): DensenetParams {
  const n = params.dense[0].length;
  const at = (block: number, i: number) => block * (n + 1) + i;
  const apply = (u: DensenetUnit, i: number): DensenetUnit => ({ ...u, ...edit(u, i) });
  const last = 3 * n + 2;
  const finalEdit = edit(params.final, last);
  return {
    ...params,
    ...rest,
    dense: params.dense.map((block, b) => block.map((u, i) => apply(u, at(b, i)))),
    trans: params.trans.map((u, b) => apply(u, at(b, n))),
    final: {
      bn: finalEdit.bn ?? params.final.bn,
      selected: finalEdit.selected ?? params.final.selected,
    },
  };
}

/**
 * The trainable tensors with names: `conv1.weight`, per unit `<path>.bn1.gamma`,
 * `<path>.bn1.beta`, `<path>.conv1.weight`, then `bn.gamma`, `bn.beta`, `fc.weight`,
 * `fc.bias`. Only BN scale factors end in `.gamma`.
 */
export function trainableLeaves(params: DensenetParams): Array<[string, tf.Tensor]> {
  const leaves: Array<[string, tf.Tensor]> = [["conv1.weight", params.conv1.weight]];
  const paths = unitPaths(params);
  densenetUnits(params).forEach((u, i) => {
    leaves.push([`${paths[i]}.bn1.gamma`, u.bn.gamma]);
    leaves.push([`${paths[i]}.bn1.beta`, u.bn.beta]);
    leaves.push([`${paths[i]}.conv1.weight`, u.conv.weight]);
  });
  leaves.push(["bn.gamma", params.final.bn.gamma], ["bn.beta", params.final.bn.beta]);
  leaves.push(["fc.weight", params.fc.weight], ["fc.bias", params.fc.bias]);
  return leaves;
}

/** `params` with its trainable tensors replaced (in {@linkcode trainableLeaves} order). */
export function withTrainable(
  params: DensenetParams,
  values: readonly tf.Tensor[],
): DensenetParams {
  const count = densenetUnits(params).length;
  const expected = 1 + 3 * count + 4;
  if (values.length !== expected) {
    throw new RangeError(`withTrainable: ${values.length} tensors for ${expected} trainables`);
  }
  return mapUnits(
    params,
    (u, i) => {
      const at = 1 + 3 * i;
      const bn = { ...u.bn, gamma: values[at] as tf.Tensor1D, beta: values[at + 1] as tf.Tensor1D };
      return i < count ? { bn, conv: { weight: values[at + 2] as tf.Tensor4D } } : { bn };
    },
    {
      conv1: { weight: values[0] as tf.Tensor4D },
      fc: {
        weight: values[expected - 2] as tf.Tensor2D,
        bias: values[expected - 1] as tf.Tensor1D,
      },
    },
  );
}

/** Every BN layer's state, in forward order. */
export function batchNorms(params: DensenetParams): BatchNormState[] {
  return selectedBns(params).map((u) => u.bn);
}

/** `params` with new running statistics per BN layer (in {@linkcode batchNorms} order). */
export function withRunningStats(
  params: DensenetParams,
  stats: readonly RunningStats[],
): DensenetParams {
  const count = selectedBns(params).length;
  if (stats.length !== count) {
    throw new RangeError(`withRunningStats: ${stats.length} entries for ${count} BN layers`);
  }
  return mapUnits(params, (u, i) => ({
    bn: { ...u.bn, runningMean: stats[i].runningMean, runningVar: stats[i].runningVar },
  }));
}
