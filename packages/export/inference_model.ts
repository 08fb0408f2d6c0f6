/**
 * A layer chain as plain arrays for export (conv3x3-BN-ReLU layers with 2x2 max-pools between
 * them, then a 2x2 average pool and a linear head), what an architecture exported as a chain
 * builds from its state_dict (its descriptor's `exportChain`), and batch-norm folding. No
 * tensors, no files.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { BN_EPS, type ExportCfg, type ExportSpec } from "./graph.ts";

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

/**
 * A whole chain: the cfg (a conv layer's output channels, or `"M"` for a 2x2 max-pool), one
 * entry per conv layer, and the linear head ([classes, in]).
 */
export interface InferenceModel {
  readonly cfg: ExportCfg;
  readonly convs: readonly ConvLayer[];
  readonly head: { readonly weight: Float32Array; readonly bias: Float32Array };
  readonly numClasses: number;
}

export { BN_EPS };

/** An architecture's layer chain and the names its exported files give it. */
export interface ArchChain {
  readonly model: InferenceModel;
  /** The model's name: the ONNX graph's and the tfjs Sequential model's. */
  readonly name: string;
  /** The ONNX model's doc string. */
  readonly title: string;
}

/**
 * Builds an architecture's layer chain from a spec and a state_dict (PyTorch names, OIHW):
 * what an architecture exported as a chain of layers (a Sequential tfjs model, a chain of
 * ONNX nodes) supplies through its descriptor (`exportChain`). A state_dict that does not
 * fit is a RangeError.
 */
export type ExportChainBuilder = (
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
) => ArchChain;

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
