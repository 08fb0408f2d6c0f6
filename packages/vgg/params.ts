/**
 * The VGG parameter tree and its initialisation (the reference's `_initialize_weights`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, createRng } from "@slimming/tensor-utils";
import { type Cfg, cfgForDepth, convChannels, scaleCfg, validateCfg, VGG_TAG } from "./cfg.ts";

/** One conv3x3 + BN layer: conv weight HWIO [3, 3, in, out] and the BN state. */
export interface ConvBnParams {
  readonly conv: { readonly weight: tf.Tensor4D };
  readonly bn: BatchNormState;
}

/** A VGG-BN model: its cfg, one entry per conv layer, and the linear head ([in, out]). */
export interface VggParams {
  /** The architecture tag. */
  readonly arch: typeof VGG_TAG;
  readonly cfg: Cfg;
  readonly features: readonly ConvBnParams[];
  readonly classifier: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

/** Options of {@linkcode initVgg}: a cfg or a depth, scaled by width. */
export interface InitVggOptions {
  readonly cfg?: Cfg;
  readonly depth?: number;
  readonly numClasses?: number;
  /** Multiplies every channel count (rounded, at least 1). */
  readonly width?: number;
  readonly seed: number;
}

function normalArray(count: number, std: number, seed: number, ...path: number[]): Float32Array {
  const rng = createRng(seed, ...path);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  return out;
}

/**
 * A new VGG-BN with the reference initialisation: conv weights N(0, sqrt(2 / (9 * out))),
 * BN gamma 0.5 and beta 0, running mean 0 and variance 1, linear N(0, 0.01) and bias 0.
 */
export function initVgg(options: InitVggOptions): VggParams {
  const base = options.cfg ?? cfgForDepth(options.depth ?? 19);
  const cfg = validateCfg(scaleCfg(base, options.width ?? 1));
  const numClasses = options.numClasses ?? 10;
  const seed = options.seed;
  let inChannels = 3;
  const features = convChannels(cfg).map((out, layer): ConvBnParams => {
    const std = Math.sqrt(2 / (9 * out));
    const weight = tf.tensor4d(normalArray(9 * inChannels * out, std, seed, 1, layer), [
      3,
      3,
      inChannels,
      out,
    ]);
    inChannels = out;
    return {
      conv: { weight },
      bn: {
        gamma: tf.fill([out], 0.5) as tf.Tensor1D,
        beta: tf.zeros([out]) as tf.Tensor1D,
        runningMean: tf.zeros([out]) as tf.Tensor1D,
        runningVar: tf.ones([out]) as tf.Tensor1D,
      },
    };
  });
  const classifier = {
    weight: tf.tensor2d(normalArray(inChannels * numClasses, 0.01, seed, 2), [
      inChannels,
      numClasses,
    ]),
    bias: tf.zeros([numClasses]) as tf.Tensor1D,
  };
  return { arch: VGG_TAG, cfg: [...cfg], features, classifier };
}

/** The trainable tensors of a model (conv weights, gammas, betas, linear), with names. */
export function trainableLeaves(params: VggParams): Array<[string, tf.Tensor]> {
  const leaves: Array<[string, tf.Tensor]> = [];
  params.features.forEach((layer, i) => {
    leaves.push([`features.${i}.conv.weight`, layer.conv.weight]);
    leaves.push([`features.${i}.bn.gamma`, layer.bn.gamma]);
    leaves.push([`features.${i}.bn.beta`, layer.bn.beta]);
  });
  leaves.push(["classifier.weight", params.classifier.weight]);
  leaves.push(["classifier.bias", params.classifier.bias]);
  return leaves;
}

/** `params` with its trainable tensors replaced (in {@linkcode trainableLeaves} order). */
export function withTrainable(params: VggParams, values: readonly tf.Tensor[]): VggParams {
  const expected = params.features.length * 3 + 2;
  if (values.length !== expected) {
    throw new RangeError(`withTrainable: ${values.length} tensors for ${expected} trainables`);
  }
  return {
    arch: params.arch,
    cfg: params.cfg,
    features: params.features.map((layer, i) => ({
      conv: { weight: values[3 * i] as tf.Tensor4D },
      bn: {
        gamma: values[3 * i + 1] as tf.Tensor1D,
        beta: values[3 * i + 2] as tf.Tensor1D,
        runningMean: layer.bn.runningMean,
        runningVar: layer.bn.runningVar,
      },
    })),
    classifier: {
      weight: values[values.length - 2] as tf.Tensor2D,
      bias: values[values.length - 1] as tf.Tensor1D,
    },
  };
}

/** `params` with new running statistics per layer. */
export function withRunningStats(
  params: VggParams,
  stats: ReadonlyArray<{ runningMean: tf.Tensor1D; runningVar: tf.Tensor1D }>,
): VggParams {
  return {
    ...params,
    features: params.features.map((layer, i) => ({
      conv: layer.conv,
      bn: { ...layer.bn, runningMean: stats[i].runningMean, runningVar: stats[i].runningVar },
    })),
  };
}
