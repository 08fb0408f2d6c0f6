/**
 * BN recalibration after pruning: re-estimate every BN layer's running statistics from
 * forward passes over training images, without changing any weight.
 *
 * Removing a channel removes its constant ReLU(β) contribution to the next layer, so the
 * next layers' input distributions shift and the running means and variances that
 * the reference's pruning copies no longer fit them. Averaging fresh batch statistics repairs that.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UsageError } from "@slimming/tensor-utils/core";
import { cloneTree, type ModelOps, type RunningStats } from "@slimming/tensor-utils";

/**
 * A new model (of the architecture `ops` works on) equal to `params` except that each BN
 * layer's running mean and variance are the average of its batch statistics over `batches`
 * (NHWC images, already normalised, no augmentation): batch k enters with weight 1/(k+1), PyTorch's `momentum=None` cumulative
 * average. Every tensor of the result is new (the caller disposes it); `params` is not changed.
 */
export async function recalibrateBatchNorm<P>(
  ops: ModelOps<P>,
  params: P,
  batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>,
): Promise<P> {
  let stats: RunningStats[] = [];
  let seen = 0;
  for await (const x of batches) {
    const current = seen === 0 ? params : ops.withRunningStats(params, stats);
    const { logits, runningStats } = ops.forward(current, x, {
      training: true,
      bnMomentum: 1 / (seen + 1),
    });
    logits.dispose();
    disposeStats(stats);
    stats = runningStats!;
    seen++;
  }
  if (seen === 0) throw new UsageError("BN recalibration needs at least one batch of images");
  const copy = cloneTree(params);
  disposeStats(ops.batchNorms(copy));
  return ops.withRunningStats(copy, stats);
}

function disposeStats(stats: readonly RunningStats[]): void {
  for (const s of stats) tf.dispose([s.runningMean, s.runningVar]);
}
