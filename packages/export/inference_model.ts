/**
 * A VGG-BN model as plain arrays for export, read from its PyTorch state_dict (the checkpoint
 * form), and batch-norm folding. No tensors, no files.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { BN_EPS } from "./graph.ts";
import { type Cfg, convChannels, featureIndices } from "@slimming/vgg";

/** Eval-mode batch norm of one layer (PyTorch's running statistics). */
export interface BatchNormArrays {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly eps: number;
}

/** One conv3x3 (stride 1, padding 1) layer: OIHW weight, then BN (unfolded) or a bias (folded), then ReLU. */
export interface ConvLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  /** [out, in, 3, 3], PyTorch's layout. */
  readonly weight: Float32Array;
  /** Present once BN is folded into the conv. */
  readonly bias?: Float32Array;
  /** Present while BN is not folded. */
  readonly bn?: BatchNormArrays;
}

/** A whole model: the cfg, one entry per conv layer, and the linear head ([classes, in]). */
export interface InferenceModel {
  readonly cfg: Cfg;
  readonly convs: readonly ConvLayer[];
  readonly head: { readonly weight: Float32Array; readonly bias: Float32Array };
  readonly numClasses: number;
}

export { BN_EPS };

/**
 * The model in `stateDict` (names and layouts of `@slimming/vgg`'s `toStateDict`, already
 * checked against `cfg`, e.g. by `fromStateDict`).
 */
export function inferenceModelFromStateDict(
  cfg: Cfg,
  stateDict: Readonly<Record<string, NamedArray>>,
  eps = BN_EPS,
): InferenceModel {
  const get = (key: string): Float32Array => {
    const entry = stateDict[key];
    if (!entry || !(entry.data instanceof Float32Array)) {
      throw new RangeError(`state_dict has no float32 ${key}`);
    }
    return entry.data;
  };
  const indices = featureIndices(cfg);
  let inChannels = 3;
  const convs = convChannels(cfg).map((out, i): ConvLayer => {
    const bn = `feature.${indices[i].bn}`;
    const layer: ConvLayer = {
      inChannels,
      outChannels: out,
      weight: get(`feature.${indices[i].conv}.weight`),
      bn: {
        gamma: get(`${bn}.weight`),
        beta: get(`${bn}.bias`),
        mean: get(`${bn}.running_mean`),
        variance: get(`${bn}.running_var`),
        eps,
      },
    };
    inChannels = out;
    return layer;
  });
  const bias = get("classifier.bias");
  return {
    cfg: [...cfg],
    convs,
    head: { weight: get("classifier.weight"), bias },
    numClasses: bias.length,
  };
}

/**
 * An OIHW conv weight (`perOut` values per output channel) and optional bias with the BN after
 * it folded in: w' = w * s and b' = beta - mean * s + b * s per output channel,
 * s = gamma / sqrt(var + eps), computed in float64 and stored as float32.
 */
export function foldBnIntoConv(
  weight: Float32Array,
  outChannels: number,
  bn: BatchNormArrays,
  bias?: Float32Array,
): { weight: Float32Array; bias: Float32Array } {
  const { gamma, beta, mean, variance, eps } = bn;
  const perOut = weight.length / outChannels;
  const folded = new Float32Array(weight.length);
  const foldedBias = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const s = gamma[o] / Math.sqrt(variance[o] + eps);
    for (let k = o * perOut; k < (o + 1) * perOut; k++) folded[k] = weight[k] * s;
    foldedBias[o] = beta[o] - mean[o] * s + (bias ? bias[o] * s : 0);
  }
  return { weight: folded, bias: foldedBias };
}

/** One conv layer with its BN folded in (see {@linkcode foldBnIntoConv}). */
export function foldConvBn(layer: ConvLayer): ConvLayer {
  if (!layer.bn) return layer;
  const { weight, bias } = foldBnIntoConv(layer.weight, layer.outChannels, layer.bn, layer.bias);
  return { inChannels: layer.inChannels, outChannels: layer.outChannels, weight, bias };
}

/** `model` with every BN folded into its conv (a new model; `model` is unchanged). */
export function foldBatchNorm(model: InferenceModel): InferenceModel {
  return { ...model, convs: model.convs.map(foldConvBn) };
}

/** The HWIO copy ([k, k, in, out], tfjs's layout) of an OIHW conv weight (k x k, default 3). */
export function oihwToHwio(
  weight: Float32Array,
  inChannels: number,
  outChannels: number,
  kernel = 3,
): Float32Array {
  const out = new Float32Array(weight.length);
  const area = kernel * kernel;
  for (let o = 0; o < outChannels; o++) {
    for (let i = 0; i < inChannels; i++) {
      for (let k = 0; k < area; k++) {
        out[(k * inChannels + i) * outChannels + o] = weight[(o * inChannels + i) * area + k];
      }
    }
  }
  return out;
}

/** The [in, out] copy of a [out, in] matrix. */
export function transpose2d(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c];
  }
  return out;
}
