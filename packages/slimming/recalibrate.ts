/**
 * BN recalibration after pruning: re-estimate every BN layer's running statistics from
 * forward passes over training images, without changing any weight.
 *
 * Removing a channel removes its constant ReLU(β) contribution to the next layer, so the
 * next layers' input distributions shift and the running means and variances that
 * `vggprune.py` copies no longer fit them. Averaging fresh batch statistics repairs that.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UsageError } from "@slimming/tensor-utils/core";
import { cloneTree } from "@slimming/tensor-utils";
import { forward, type RunningStats, type VggParams, withRunningStats } from "@slimming/vgg";

/**
 * A new model equal to `params` except that each BN layer's running mean and variance are the
 * average of its batch statistics over `batches` (NHWC images, already normalised, no
 * augmentation): batch k enters with weight 1/(k+1), PyTorch's `momentum=None` cumulative
 * average. Every tensor of the result is new (the caller disposes it); `params` is not changed.
 */
export async function recalibrateBatchNorm(
  params: VggParams,
  batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>,
): Promise<VggParams> {
  let stats: RunningStats[] = [];
  let seen = 0;
  for await (const x of batches) {
    const current = seen === 0 ? params : withRunningStats(params, stats);
    const { logits, runningStats } = forward(current, x, {
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
  disposeStats(copy.features.map((layer) => layer.bn));
  return withRunningStats(copy, stats);
}

function disposeStats(stats: readonly RunningStats[]): void {
  for (const s of stats) tf.dispose([s.runningMean, s.runningVar]);
}
