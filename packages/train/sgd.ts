/**
 * SGD with momentum and weight decay (PyTorch's rule) plus Network Slimming's L1
 * subgradient on the BN gammas, over lists of tensors. Pure: returns new tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED, hasFusedKernel } from "@slimming/tensor-utils";
import { sparsityGradient } from "@slimming/slimming";

/** Hyper-parameters of one SGD step. */
export interface SgdOptions {
  readonly lr: number;
  readonly momentum: number;
  /** Nesterov momentum: the step is `d + momentum * buf` instead of `buf`. */
  readonly nesterov?: boolean;
  readonly weightDecay: number;
  /** Sparsity coefficient applied to the tensors flagged in `isGamma`. */
  readonly lambda: number;
}

/** Momentum buffers, one per trainable tensor (null before the first step). */
export type MomentumBuffers = tf.Tensor[] | null;

/**
 * One step: for each tensor `d = grad + [gamma] lambda * sign(p) + weightDecay * p`,
 * `buf = first ? d : momentum * buf + d`, `p' = p - lr * buf` (Nesterov: `p' = p - lr *
 * (d + momentum * buf)`, PyTorch's rule). Returns new parameters and
 * buffers; the inputs stay valid (the caller disposes them).
 */
export function sgdStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  buffers: MomentumBuffers,
  isGamma: readonly boolean[],
  options: SgdOptions,
): { params: tf.Tensor[]; buffers: tf.Tensor[] } {
  const first = buffers === null;
  const l1 = isGamma.map((gamma) => (gamma ? options.lambda : 0));
  if (hasFusedKernel(FUSED.sgd)) {
    // One kernel for every tensor: a step has ~50 of them, and each launch costs.
    const inputs: Record<string, tf.Tensor> = {};
    params.forEach((p, i) => {
      inputs[`param${i}`] = p;
      inputs[`grad${i}`] = grads[i];
      inputs[`buffer${i}`] = first ? grads[i] : buffers[i];
    });
    const outs = tf.engine().runKernel(FUSED.sgd, inputs, {
      count: params.length,
      lr: options.lr,
      momentum: options.momentum,
      weightDecay: options.weightDecay,
      l1,
      first,
      nesterov: options.nesterov ?? false,
    }) as tf.Tensor[];
    return { params: outs.slice(0, params.length), buffers: outs.slice(params.length) };
  }
  const nextParams: tf.Tensor[] = [];
  const nextBuffers: tf.Tensor[] = [];
  params.forEach((p, i) => {
    const [np, nb] = tf.tidy(() => {
      let d = grads[i];
      if (l1[i] !== 0) d = tf.add(d, sparsityGradient(p, l1[i]));
      d = tf.add(d, tf.mul(p, options.weightDecay));
      const b = first ? d : tf.add(tf.mul(buffers[i], options.momentum), d);
      const step = options.nesterov ? tf.add(d, tf.mul(b, options.momentum)) : b;
      return [tf.sub(p, tf.mul(step, options.lr)), b];
    });
    nextParams.push(np);
    nextBuffers.push(nb);
  });
  return { params: nextParams, buffers: nextBuffers };
}
