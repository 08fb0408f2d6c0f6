/**
 * What the training loop, evaluation, BN recalibration and sparsity need from an
 * architecture (VGG, pre-activation ResNet, DenseNet), so the command line works on any of
 * them. Each architecture package exports one {@linkcode ModelOps} object.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BatchNormState } from "./ops.ts";

/** Options of a model's forward pass. */
export interface ForwardOptions {
  /** Batch statistics and updated running statistics when true; running statistics when false. */
  readonly training: boolean;
  /**
   * In training mode, the weight of this batch's statistics in the new running statistics
   * (PyTorch's BN momentum, default 0.1). BN recalibration passes 1/(k+1) for the k-th batch,
   * which makes the running statistics the plain average over the batches seen.
   */
  readonly bnMomentum?: number;
}

/** New running statistics of one BN layer. */
export interface RunningStats {
  readonly runningMean: tf.Tensor1D;
  readonly runningVar: tf.Tensor1D;
}

/**
 * Logits and, in training mode, every BN layer's updated running statistics, in the order of
 * {@linkcode ModelOps.batchNorms}.
 */
export interface ForwardResult {
  readonly logits: tf.Tensor2D;
  readonly runningStats?: RunningStats[];
}

/** The operations over one architecture's immutable parameter tree `P`. */
export interface ModelOps<P> {
  /** `vgg`, `resnet` or `densenet`. */
  readonly arch: string;
  /** Pure forward pass on NHWC images [n, 32, 32, 3]; only the returned tensors are new. */
  forward(params: P, x: tf.Tensor4D, options: ForwardOptions): ForwardResult;
  /**
   * The trainable tensors with their names, in a fixed order; every BN scale factor's name
   * ends in `.gamma` (those get the sparsity term), no other name does.
   */
  trainableLeaves(params: P): Array<[string, tf.Tensor]>;
  /** `params` with its trainable tensors replaced (in `trainableLeaves` order); no copies. */
  withTrainable(params: P, values: readonly tf.Tensor[]): P;
  /** Every BN layer's state, in forward order (the order of `runningStats`). */
  batchNorms(params: P): BatchNormState[];
  /** `params` with new running statistics per BN layer (in `batchNorms` order); no copies. */
  withRunningStats(params: P, stats: readonly RunningStats[]): P;
}
