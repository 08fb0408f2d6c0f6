/**
 * Batch norm without a ReLU (training mode: batch statistics, PyTorch's running-statistics
 * rule) and the residual add -> ReLU, each a fused kernel where the active backend registers
 * one ({@linkcode FUSED.bn}, {@linkcode FUSED.addRelu}) and stock tfjs ops elsewhere, with
 * the same function and gradients.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BatchNormState,
  type BnOptions,
  type ConvBnReluResult,
  FUSED,
  hasFusedKernel,
} from "./ops.ts";

/**
 * Batch norm of NHWC `x` over its last axis, no ReLU. Training mode normalises with the
 * batch's mean and biased variance and returns the new running statistics (`momentum` weight
 * on the batch's mean and unbiased variance, like PyTorch); eval mode uses the running ones.
 */
export function bn(x: tf.Tensor4D, state: BatchNormState, options: BnOptions): ConvBnReluResult {
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  if (!options.training) {
    return {
      y: tf.batchNorm(x, state.runningMean, state.runningVar, state.beta, state.gamma, eps),
    };
  }
  if (hasFusedKernel(FUSED.bn)) {
    const [y, mean, variance, runningMean, runningVar] = tf.engine().runKernel(
      FUSED.bn,
      {
        x,
        gamma: state.gamma,
        beta: state.beta,
        runningMean: state.runningMean,
        runningVar: state.runningVar,
      },
      { eps, momentum },
    ) as tf.Tensor[];
    tf.dispose([mean, variance]);
    return {
      y: y as tf.Tensor4D,
      runningMean: runningMean as tf.Tensor1D,
      runningVar: runningVar as tf.Tensor1D,
    };
  }
  const [n, h, w] = x.shape;
  const count = n * h * w;
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm(x, mean, variance, state.beta, state.gamma, eps) as tf.Tensor4D;
  const [runningMean, runningVar] = tf.tidy(() => {
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    return [
      tf.add(tf.mul(state.runningMean, 1 - momentum), tf.mul(mean, momentum)) as tf.Tensor1D,
      tf.add(tf.mul(state.runningVar, 1 - momentum), tf.mul(unbiased, momentum)) as tf.Tensor1D,
    ];
  });
  tf.dispose([mean, variance]);
  return { y, runningMean, runningVar };
}

/** `relu(a + b)` for two tensors of one shape (the residual block's output). */
export function addRelu<T extends tf.Tensor>(a: T, b: T): T {
  const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (
    sameShape && a.dtype === "float32" && b.dtype === "float32" && hasFusedKernel(FUSED.addRelu)
  ) {
    return tf.engine().runKernel(FUSED.addRelu, { a, b }, {}) as T;
  }
  return tf.relu(tf.add(a, b)) as T;
}
