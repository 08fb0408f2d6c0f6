/**
 * The channel-sparsity regulariser of Network Slimming: lambda * sum |gamma| over every BN
 * layer, and its subgradient, which the reference's `updateBN` adds to each BN weight's
 * gradient before the optimizer step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { validateLambda } from "./_validate.ts";

/**
 * lambda * sign(gamma), a new tensor shaped like `gamma` (sign(0) = 0, like `torch.sign`):
 * the subgradient of lambda * sum |gamma| that `updateBN` adds to `gamma`'s gradient.
 * `lambda` must be finite and non-negative (else a UsageError).
 */
export function sparsityGradient(gamma: tf.Tensor, lambda: number): tf.Tensor {
  validateLambda(lambda);
  return tf.tidy(() => tf.mul(tf.sign(gamma), tf.scalar(lambda, gamma.dtype)));
}

/**
 * lambda * sum |gamma| over the given BN scaling factors (any architecture's
 * `ops.batchNorms(params).map((bn) => bn.gamma)`, or the gammas its sparsity term covers), as
 * a new scalar tensor (the caller disposes it), for reporting. It is differentiable, but
 * tfjs's gradient of |x| at x = 0 is -1, not the reference's sign(0) = 0: to reproduce
 * `updateBN`, add {@linkcode sparsityGradient} to the gamma gradients instead of
 * differentiating this.
 */
export function sparsityPenalty(gammas: readonly tf.Tensor[], lambda: number): tf.Scalar {
  validateLambda(lambda);
  return tf.tidy(() => {
    const sums = gammas.map((gamma) => tf.sum(tf.abs(gamma)));
    const total = sums.length === 0 ? tf.scalar(0) : tf.addN(sums);
    return tf.mul(total, tf.scalar(lambda)) as tf.Scalar;
  });
}
