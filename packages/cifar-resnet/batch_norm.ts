/**
 * Batch norm without a ReLU after it (a basic block's bn2 and the projection's BN, which feed
 * the residual addition), with PyTorch's training-mode semantics.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BatchNormState,
  bn as fusedBn,
  type BnOptions,
  bnRelu,
  type ConvBnReluResult,
  FUSED,
  hasFusedKernel,
} from "@slimming/tensor-utils";

/**
 * Training-mode BN through the fused BN -> ReLU kernel, as BN(x) = relu(BN(x)) -
 * relu(-BN(x)), the second term BN -> ReLU with gamma and beta negated (the same batch
 * statistics). Exact (one of the two terms is 0 at every value) and its gradient is the sum of
 * the two terms', each fused; tfjs's stock BN gradient on the cpu-based backends is reductions
 * over the batch and pixels in JavaScript, which made training tens of times slower.
 */
function batchNormByBnRelu(x: tf.Tensor4D, bn: BatchNormState, options: BnOptions) {
  const positive = bnRelu(x, bn, options);
  const negated = { ...bn, gamma: tf.neg(bn.gamma), beta: tf.neg(bn.beta) } as BatchNormState;
  const negative = bnRelu(x, negated, options);
  tf.dispose([negative.runningMean!, negative.runningVar!]);
  return {
    y: tf.sub(positive.y, negative.y) as tf.Tensor4D,
    runningMean: positive.runningMean,
    runningVar: positive.runningVar,
  };
}

/**
 * BN of NHWC `x` over its last axis. Training mode normalises with the batch's mean and
 * biased variance and returns the new running statistics (`momentum` weight on the batch's
 * mean and unbiased variance, PyTorch's rule), through the fused BN kernel where the backend
 * has one (native), else the fused BN -> ReLU kernel (wasm-simd); eval mode uses the running
 * statistics.
 */
export function batchNorm(
  x: tf.Tensor4D,
  bn: BatchNormState,
  options: BnOptions,
): ConvBnReluResult {
  const eps = options.eps ?? 1e-5;
  if (!options.training) {
    return { y: tf.batchNorm(x, bn.runningMean, bn.runningVar, bn.beta, bn.gamma, eps) };
  }
  if (hasFusedKernel(FUSED.bn)) return fusedBn(x, bn, options);
  if (hasFusedKernel(FUSED.bnRelu)) return batchNormByBnRelu(x, bn, options);
  const momentum = options.momentum ?? 0.1;
  const [n, h, w] = x.shape;
  const count = n * h * w;
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, eps) as tf.Tensor4D;
  const [runningMean, runningVar] = tf.tidy(() => {
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    return [
      tf.add(tf.mul(bn.runningMean, 1 - momentum), tf.mul(mean, momentum)) as tf.Tensor1D,
      tf.add(tf.mul(bn.runningVar, 1 - momentum), tf.mul(unbiased, momentum)) as tf.Tensor1D,
    ];
  });
  tf.dispose([mean, variance]);
  return { y, runningMean, runningVar };
}
