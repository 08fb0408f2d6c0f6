/**
 * The CIFAR ResNet parameter tree, its initialisation, and the tree operations the training
 * loop needs (names, replacement of trainables and running statistics).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, createRng, type RunningStats } from "@slimming/tensor-utils";
import {
  CIFAR_RESNET_ARCH,
  cifarResnetBlockName,
  type CifarResnetPlanes,
  cifarResnetPlanes,
  type CifarResnetSpec,
  defaultCifarResnetCfg,
  validateCifarResnetDepth,
  validateCifarResnetSpec,
} from "./cfg.ts";
import { cifarResnetBlockShapes } from "./counts.ts";

/** A 1x1 conv + BN projection shortcut (HWIO [1, 1, in, out]). */
export interface ProjectionParams {
  readonly conv: tf.Tensor4D;
  readonly bn: BatchNormState;
}

/** One basic block (HWIO conv weights, no conv biases). */
export interface BasicBlockParams {
  /** [3, 3, in, inner], the block's stride. */
  readonly conv1: tf.Tensor4D;
  /** inner channels: the layer Network Slimming prunes. */
  readonly bn1: BatchNormState;
  /** [3, 3, inner, out]. */
  readonly conv2: tf.Tensor4D;
  /** out channels (the residual stream's width). */
  readonly bn2: BatchNormState;
  /** The projection shortcut where the shape changes; the identity otherwise. */
  readonly downsample?: ProjectionParams;
}

/** A CIFAR ResNet: its spec and its tensors. */
export interface CifarResnetParams extends CifarResnetSpec {
  /** The architecture tag the registry looks a tree up by. */
  readonly arch: typeof CIFAR_RESNET_ARCH;
  /** Stem conv3x3, [3, 3, 3, planes[0]]. */
  readonly conv1: tf.Tensor4D;
  /** The stem's BN (planes[0] channels). */
  readonly bn1: BatchNormState;
  /** All blocks, stage after stage (n per stage). */
  readonly residualBlocks: readonly BasicBlockParams[];
  /** Linear head, weight [planes[2], numClasses]. */
  readonly fc: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

/** Options of {@linkcode initCifarResnet}. */
export interface InitCifarResnetOptions {
  readonly depth: number;
  /** Multiplies the stage widths (rounded, at least 1); default 1. Ignored with `planes`. */
  readonly width?: number;
  /** Stage widths (default: the paper's at `width`). */
  readonly planes?: CifarResnetPlanes;
  /** Inner widths per block (default: each block's stage width). */
  readonly cfg?: readonly number[];
  readonly numClasses?: number;
  readonly seed: number;
}

function drawn(shape: number[], draw: () => number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, draw), shape);
}

/** A conv weight HWIO [k, k, in, out] from N(0, sqrt(2 / (k * k * out))) (He, fan-out). */
function convInit(k: number, inC: number, out: number, seed: number, ...path: number[]) {
  const rng = createRng(seed, ...path);
  const std = Math.sqrt(2 / (k * k * out));
  return drawn([k, k, inC, out], () => rng.normal() * std) as tf.Tensor4D;
}

/** A fresh BN of `n` channels: gamma 0.5 (as this project's other nets), beta 0, stats 0 / 1. */
export function initCifarBatchNorm(n: number): BatchNormState {
  return {
    gamma: tf.fill([n], 0.5) as tf.Tensor1D,
    beta: tf.zeros([n]) as tf.Tensor1D,
    runningMean: tf.zeros([n]) as tf.Tensor1D,
    runningVar: tf.ones([n]) as tf.Tensor1D,
  };
}

/**
 * A new CIFAR ResNet initialised as the Network Slimming reference initialises its nets: conv
 * weights N(0, sqrt(2 / (k * k * out))) (Kaiming normal, fan-out), every BN gamma 0.5 (the
 * reference's preresnet/densenet value, which this project uses for all its nets) and beta
 * 0, running mean 0 and variance 1, and the linear layer PyTorch's nn.Linear default,
 * weight and bias U(-1/sqrt(in), 1/sqrt(in)). Deterministic in `seed`.
 */
export function initCifarResnet(options: InitCifarResnetOptions): CifarResnetParams {
  const depth = validateCifarResnetDepth(options.depth);
  const width = options.width ?? 1;
  const spec = validateCifarResnetSpec({
    depth,
    planes: options.planes ?? cifarResnetPlanes(width),
    cfg: options.cfg ?? defaultCifarResnetCfg(depth, width),
  });
  const numClasses = options.numClasses ?? 10;
  const seed = options.seed;
  const residualBlocks = cifarResnetBlockShapes(spec).map((s, b): BasicBlockParams => ({
    conv1: convInit(3, s.inWidth, s.inner, seed, 2, b, 1),
    bn1: initCifarBatchNorm(s.inner),
    conv2: convInit(3, s.inner, s.outWidth, seed, 2, b, 2),
    bn2: initCifarBatchNorm(s.outWidth),
    ...(s.projection
      ? {
        downsample: {
          conv: convInit(1, s.inWidth, s.outWidth, seed, 2, b, 3),
          bn: initCifarBatchNorm(s.outWidth),
        },
      }
      : {}),
  }));
  const head = spec.planes[2];
  const bound = 1 / Math.sqrt(head);
  const uniform = (shape: number[], ...path: number[]) => {
    const rng = createRng(seed, ...path);
    return drawn(shape, () => (2 * rng.next() - 1) * bound);
  };
  return {
    arch: CIFAR_RESNET_ARCH,
    ...spec,
    conv1: convInit(3, 3, spec.planes[0], seed, 1),
    bn1: initCifarBatchNorm(spec.planes[0]),
    residualBlocks,
    fc: {
      weight: uniform([head, numClasses], 3, 1) as tf.Tensor2D,
      bias: uniform([numClasses], 3, 2) as tf.Tensor1D,
    },
  };
}

/** The spec of a model (depth, stage widths, cfg), without its tensors. */
export function cifarResnetSpecOf(params: CifarResnetSpec): CifarResnetSpec {
  const [a, b, c] = params.planes;
  return { depth: params.depth, planes: [a, b, c], cfg: [...params.cfg] };
}

/** Classes of the model's head. */
export function cifarResnetNumClasses(params: CifarResnetParams): number {
  return params.fc.weight.shape[1];
}

/**
 * Every BN layer's state in forward order: the stem's, then per block bn1, bn2 and the
 * projection's BN where there is one (the order of `forward`'s running statistics).
 */
export function cifarResnetBatchNorms(params: CifarResnetParams): BatchNormState[] {
  return [
    params.bn1,
    ...params.residualBlocks.flatMap((
      b,
    ) => [b.bn1, b.bn2, ...(b.downsample ? [b.downsample.bn] : [])]),
  ];
}

/** The BN layers Network Slimming ranks and prunes: each block's bn1, in cfg order. */
export function slimmedBatchNorms(params: CifarResnetParams): BatchNormState[] {
  return params.residualBlocks.map((b) => b.bn1);
}

/**
 * The trainable tensors with names, in PyTorch's parameter order: `conv1.weight`,
 * `bn1.weight`, `bn1.bias`; per block `<block>.conv1.weight`, `.bn1.gamma`, `.bn1.beta`,
 * `.conv2.weight`, `.bn2.weight`, `.bn2.bias` and with a projection `.downsample.0.weight`,
 * `.downsample.1.weight`, `.downsample.1.bias`; then `fc.weight`, `fc.bias`.
 *
 * Only the pruned BNs' scale factors (each block's bn1) are named `.gamma`: the training loop
 * adds the sparsity term λ·sign(γ) to exactly the tensors whose name ends in `.gamma`
 * (`ModelOps`), and the residual stream's BNs are never pruned (see `CifarResnetSpec`), so
 * penalising them would only shrink weights no threshold ever looks at.
 */
export function cifarResnetTrainableLeaves(
  params: CifarResnetParams,
): Array<[string, tf.Tensor]> {
  const leaves: Array<[string, tf.Tensor]> = [
    ["conv1.weight", params.conv1],
    ["bn1.weight", params.bn1.gamma],
    ["bn1.bias", params.bn1.beta],
  ];
  params.residualBlocks.forEach((block, b) => {
    const k = cifarResnetBlockName(params.depth, b);
    leaves.push([`${k}.conv1.weight`, block.conv1]);
    leaves.push([`${k}.bn1.gamma`, block.bn1.gamma], [`${k}.bn1.beta`, block.bn1.beta]);
    leaves.push([`${k}.conv2.weight`, block.conv2]);
    leaves.push([`${k}.bn2.weight`, block.bn2.gamma], [`${k}.bn2.bias`, block.bn2.beta]);
    if (block.downsample) {
      leaves.push([`${k}.downsample.0.weight`, block.downsample.conv]);
      leaves.push([`${k}.downsample.1.weight`, block.downsample.bn.gamma]);
      leaves.push([`${k}.downsample.1.bias`, block.downsample.bn.beta]);
    }
  });
  leaves.push(["fc.weight", params.fc.weight], ["fc.bias", params.fc.bias]);
  return leaves;
}

/** `params` with its trainable tensors replaced (in {@linkcode cifarResnetTrainableLeaves} order). */
export function cifarResnetWithTrainable(
  params: CifarResnetParams,
  values: readonly tf.Tensor[],
): CifarResnetParams {
  const expected = cifarResnetTrainableLeaves(params).length;
  if (values.length !== expected) {
    throw new RangeError(`withTrainable: ${values.length} tensors for ${expected} trainables`);
  }
  let at = 0;
  const next = <T extends tf.Tensor>(): T => values[at++] as T;
  const bnOf = (bn: BatchNormState): BatchNormState => ({ ...bn, gamma: next(), beta: next() });
  const conv1 = next<tf.Tensor4D>();
  const bn1 = bnOf(params.bn1);
  const residualBlocks = params.residualBlocks.map((block): BasicBlockParams => {
    const c1 = next<tf.Tensor4D>();
    const b1 = bnOf(block.bn1);
    const c2 = next<tf.Tensor4D>();
    const b2 = bnOf(block.bn2);
    const downsample = block.downsample
      ? { downsample: { conv: next<tf.Tensor4D>(), bn: bnOf(block.downsample.bn) } }
      : {};
    return { conv1: c1, bn1: b1, conv2: c2, bn2: b2, ...downsample };
  });
  const fc = { weight: next<tf.Tensor2D>(), bias: next<tf.Tensor1D>() };
  return { ...params, conv1, bn1, residualBlocks, fc };
}

/** `params` with new running statistics per BN layer (in {@linkcode cifarResnetBatchNorms} order). */
export function cifarResnetWithRunningStats(
  params: CifarResnetParams,
  stats: readonly RunningStats[],
): CifarResnetParams {
  const expected = cifarResnetBatchNorms(params).length;
  if (stats.length !== expected) {
    throw new RangeError(`withRunningStats: ${stats.length} entries for ${expected} BN layers`);
  }
  let at = 0;
  const bnOf = (bn: BatchNormState): BatchNormState => {
    const s = stats[at++];
    return { ...bn, runningMean: s.runningMean, runningVar: s.runningVar };
  };
  const bn1 = bnOf(params.bn1);
  const residualBlocks = params.residualBlocks.map((block): BasicBlockParams => {
    const b1 = bnOf(block.bn1);
    const b2 = bnOf(block.bn2);
    const downsample = block.downsample
      ? { downsample: { conv: block.downsample.conv, bn: bnOf(block.downsample.bn) } }
      : {};
    return { ...block, bn1: b1, bn2: b2, ...downsample };
  });
  return { ...params, bn1, residualBlocks };
}
