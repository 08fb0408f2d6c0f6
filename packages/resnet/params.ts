/**
 * The pre-activation ResNet parameter tree and its initialisation (the reference's
 * `resnet.__init__`), and the tree operations the training loop needs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, createRng, type RunningStats } from "@slimming/tensor-utils";
import {
  blocksPerStage,
  defaultResnetCfg,
  RESNET_TAG,
  type ResnetCfg,
  type ResnetPlanes,
  resnetPlanes,
  validateResnetCfg,
  validateResnetDepth,
} from "./cfg.ts";
import { blockShapes } from "./counts.ts";

/**
 * One bottleneck block (HWIO conv weights). `select` lists, ascending, the channels of bn1's
 * output that reach conv1 (the reference's `select.indexes` ones); all of them when unpruned.
 */
export interface BottleneckParams {
  readonly bn1: BatchNormState;
  readonly select: readonly number[];
  /** [1, 1, select.length, cfg[1]] */
  readonly conv1: tf.Tensor4D;
  readonly bn2: BatchNormState;
  /** [3, 3, cfg[1], cfg[2]], stride 2 in a stage's first block after the first stage. */
  readonly conv2: tf.Tensor4D;
  readonly bn3: BatchNormState;
  /** [1, 1, cfg[2], 4 * planes] */
  readonly conv3: tf.Tensor4D;
  /** [1, 1, in, 4 * planes], on the residual path of each stage's first block. */
  readonly downsample?: tf.Tensor4D;
}

/** A pre-activation ResNet: its shape (depth, stage widths, flat cfg) and its tensors. */
export interface ResnetParams {
  /** The architecture tag. */
  readonly arch: typeof RESNET_TAG;
  readonly depth: number;
  readonly planes: ResnetPlanes;
  readonly cfg: ResnetCfg;
  /** Stem conv3x3, [3, 3, 3, planes[0]]. */
  readonly conv1: tf.Tensor4D;
  /** All blocks, stage after stage (n per stage). */
  readonly blocks: readonly BottleneckParams[];
  /** The final BN (4 * planes[2] channels) and the channels its selection keeps. */
  readonly bn: BatchNormState;
  readonly select: readonly number[];
  /** Linear head, weight [select.length, numClasses]. */
  readonly fc: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

/** Options of {@linkcode initResnet}. */
export interface InitResnetOptions {
  readonly depth: number;
  /** The flat cfg (default: the reference's at `width`). */
  readonly cfg?: ResnetCfg;
  /** Multiplies the stage widths and the default cfg (rounded, at least 1); default 1. */
  readonly width?: number;
  readonly numClasses?: number;
  readonly seed: number;
}

function normalTensor(shape: number[], std: number, seed: number, ...path: number[]): tf.Tensor {
  const rng = createRng(seed, ...path);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal() * std), shape);
}

function uniformTensor(shape: number[], bound: number, seed: number, ...path: number[]): tf.Tensor {
  const rng = createRng(seed, ...path);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => (2 * rng.next() - 1) * bound), shape);
}

/** A conv weight HWIO [k, k, in, out] drawn from N(0, sqrt(2 / (k * k * out))). */
function convInit(k: number, inC: number, out: number, seed: number, ...path: number[]) {
  return normalTensor([k, k, inC, out], Math.sqrt(2 / (k * k * out)), seed, ...path) as tf.Tensor4D;
}

/** A fresh BN of `n` channels as the reference initialises it: gamma 0.5, beta 0, stats 0 / 1. */
export function initBatchNorm(n: number): BatchNormState {
  return {
    gamma: tf.fill([n], 0.5) as tf.Tensor1D,
    beta: tf.zeros([n]) as tf.Tensor1D,
    runningMean: tf.zeros([n]) as tf.Tensor1D,
    runningVar: tf.ones([n]) as tf.Tensor1D,
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * A new ResNet with the reference initialisation: conv weights N(0, sqrt(2 / (k * k * out))),
 * BN gamma 0.5 and beta 0, running mean 0 and variance 1, every channel selected, and the
 * linear layer PyTorch's nn.Linear default, weight and bias U(-1/sqrt(in), 1/sqrt(in)). A
 * cfg whose selection entries are below their tensor's width selects the first channels.
 */
export function initResnet(options: InitResnetOptions): ResnetParams {
  const depth = validateResnetDepth(options.depth);
  const planes = resnetPlanes(options.width ?? 1);
  const cfg = validateResnetCfg(
    options.cfg ?? defaultResnetCfg(depth, options.width ?? 1),
    depth,
    planes,
  );
  const numClasses = options.numClasses ?? 10;
  const seed = options.seed;
  const blocks = blockShapes(cfg, depth, planes).map((shape, b): BottleneckParams => {
    const [a, c1, c2] = shape.cfg;
    return {
      bn1: initBatchNorm(shape.inWidth),
      select: range(a),
      conv1: convInit(1, a, c1, seed, 2, b, 1),
      bn2: initBatchNorm(c1),
      conv2: convInit(3, c1, c2, seed, 2, b, 2),
      bn3: initBatchNorm(c2),
      conv3: convInit(1, c2, shape.outWidth, seed, 2, b, 3),
      ...(shape.downsample
        ? { downsample: convInit(1, shape.inWidth, shape.outWidth, seed, 2, b, 4) }
        : {}),
    };
  });
  const head = cfg[cfg.length - 1];
  const bound = 1 / Math.sqrt(head);
  return {
    arch: RESNET_TAG,
    depth,
    planes,
    cfg,
    conv1: convInit(3, 3, planes[0], seed, 1),
    blocks,
    bn: initBatchNorm(planes[2] * 4),
    select: range(head),
    fc: {
      weight: uniformTensor([head, numClasses], bound, seed, 3, 1) as tf.Tensor2D,
      bias: uniformTensor([numClasses], bound, seed, 3, 2) as tf.Tensor1D,
    },
  };
}

/** Every BN layer's state, in forward order (per block bn1, bn2, bn3; then the final BN). */
export function batchNorms(params: ResnetParams): BatchNormState[] {
  return [...params.blocks.flatMap((b) => [b.bn1, b.bn2, b.bn3]), params.bn];
}

/** The reference's module name of block `b` of a ResNet of `depth`, e.g. `layer2.0`. */
export function blockName(depth: number, b: number): string {
  const n = blocksPerStage(depth);
  return `layer${Math.floor(b / n) + 1}.${b % n}`;
}

/**
 * The trainable tensors with names, in the reference's parameter order (without the
 * selections' indexes, which are not trained): `conv1.weight`, per block `<block>.bn1.gamma`,
 * `.bn1.beta`, `.conv1.weight`, bn2, conv2, bn3, conv3, `.downsample.weight`; then
 * `bn.gamma`, `bn.beta`, `fc.weight`, `fc.bias`.
 */
export function trainableLeaves(params: ResnetParams): Array<[string, tf.Tensor]> {
  const leaves: Array<[string, tf.Tensor]> = [["conv1.weight", params.conv1]];
  params.blocks.forEach((block, b) => {
    const k = blockName(params.depth, b);
    leaves.push([`${k}.bn1.gamma`, block.bn1.gamma], [`${k}.bn1.beta`, block.bn1.beta]);
    leaves.push([`${k}.conv1.weight`, block.conv1]);
    leaves.push([`${k}.bn2.gamma`, block.bn2.gamma], [`${k}.bn2.beta`, block.bn2.beta]);
    leaves.push([`${k}.conv2.weight`, block.conv2]);
    leaves.push([`${k}.bn3.gamma`, block.bn3.gamma], [`${k}.bn3.beta`, block.bn3.beta]);
    leaves.push([`${k}.conv3.weight`, block.conv3]);
    if (block.downsample) leaves.push([`${k}.downsample.weight`, block.downsample]);
  });
  leaves.push(["bn.gamma", params.bn.gamma], ["bn.beta", params.bn.beta]);
  leaves.push(["fc.weight", params.fc.weight], ["fc.bias", params.fc.bias]);
  return leaves;
}

/** `params` with its trainable tensors replaced (in {@linkcode trainableLeaves} order). */
export function withTrainable(params: ResnetParams, values: readonly tf.Tensor[]): ResnetParams {
  const expected = trainableLeaves(params).length;
  if (values.length !== expected) {
    throw new RangeError(`withTrainable: ${values.length} tensors for ${expected} trainables`);
  }
  let at = 0;
  const next = <T extends tf.Tensor>(): T => values[at++] as T;
  const bnOf = (bn: BatchNormState): BatchNormState => ({ ...bn, gamma: next(), beta: next() });
  const conv1 = next<tf.Tensor4D>();
  const blocks = params.blocks.map((block): BottleneckParams => {
    const bn1 = bnOf(block.bn1);
    const c1 = next<tf.Tensor4D>();
    const bn2 = bnOf(block.bn2);
    const c2 = next<tf.Tensor4D>();
    const bn3 = bnOf(block.bn3);
    const c3 = next<tf.Tensor4D>();
    const downsample = block.downsample ? { downsample: next<tf.Tensor4D>() } : {};
    return { bn1, select: block.select, conv1: c1, bn2, conv2: c2, bn3, conv3: c3, ...downsample };
  });
  const bn = bnOf(params.bn);
  const fc = { weight: next<tf.Tensor2D>(), bias: next<tf.Tensor1D>() };
  return { ...params, conv1, blocks, bn, fc };
}

/** `params` with new running statistics per BN layer (in {@linkcode batchNorms} order). */
export function withRunningStats(
  params: ResnetParams,
  stats: readonly RunningStats[],
): ResnetParams {
  const expected = params.blocks.length * 3 + 1;
  if (stats.length !== expected) {
    throw new RangeError(`withRunningStats: ${stats.length} entries for ${expected} BN layers`);
  }
  const bnOf = (bn: BatchNormState, i: number): BatchNormState => ({
    ...bn,
    runningMean: stats[i].runningMean,
    runningVar: stats[i].runningVar,
  });
  const blocks = params.blocks.map((block, b) => ({
    ...block,
    bn1: bnOf(block.bn1, 3 * b),
    bn2: bnOf(block.bn2, 3 * b + 1),
    bn3: bnOf(block.bn3, 3 * b + 2),
  }));
  return { ...params, blocks, bn: bnOf(params.bn, stats.length - 1) };
}
