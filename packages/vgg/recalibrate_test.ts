import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import { recalibrateBatchNorm } from "@slimming/slimming";
import { forward, vggOps } from "./mod.ts";
import { cfgOf, randomParams } from "./testing.ts";

/** Per-channel mean and unbiased variance of the first conv's output on `x`. */
function firstLayerStats(weight: tf.Tensor4D, x: tf.Tensor4D): { mean: number[]; var: number[] } {
  return tf.tidy(() => {
    const z = tf.conv2d(x, weight, 1, "same");
    const { mean, variance } = tf.moments(z, [0, 1, 2]);
    const n = z.shape[0] * z.shape[1] * z.shape[2];
    return {
      mean: Array.from(mean.dataSync()),
      var: Array.from(tf.mul(variance, n / (n - 1)).dataSync()),
    };
  });
}

function close(actual: number[], expected: number[], tol = 1e-4): void {
  actual.forEach((a, i) => {
    assert.ok(
      Math.abs(a - expected[i]) <= tol * (1 + Math.abs(expected[i])),
      `${i}: ${a} vs ${expected[i]}`,
    );
  });
}

Deno.test("recalibrateBatchNorm: running statistics become the average batch statistics", async () => {
  const params = randomParams(cfgOf([4, 6, 5], [0, 1, 2, 2]), 3);
  const batches = [0, 1, 2].map((k) =>
    tf.randomNormal([5, 32, 32, 3], 0.2 * k, 1 + k, "float32", 11 + k) as tf.Tensor4D
  );
  const before = tf.memory().numTensors;
  const result = await recalibrateBatchNorm(vggOps, params, batches);
  // Layer 0 sees the images directly, so its statistics are exactly computable here.
  const perBatch = batches.map((x) => firstLayerStats(params.features[0].conv.weight, x));
  const avg = (pick: (s: { mean: number[]; var: number[] }) => number[]) =>
    pick(perBatch[0]).map((_, c) =>
      perBatch.reduce((sum, s) => sum + pick(s)[c], 0) / perBatch.length
    );
  close(Array.from(await result.features[0].bn.runningMean.data()), avg((s) => s.mean));
  close(Array.from(await result.features[0].bn.runningVar.data()), avg((s) => s.var));
  // Every layer's statistics changed, and the weights are equal copies, not shared tensors.
  for (const [i, layer] of result.features.entries()) {
    const old = params.features[i];
    assert.notDeepEqual(await layer.bn.runningMean.data(), await old.bn.runningMean.data());
    assert.notEqual(layer.conv.weight, old.conv.weight);
    assert.deepEqual(await layer.conv.weight.data(), await old.conv.weight.data());
    assert.deepEqual(await layer.bn.gamma.data(), await old.bn.gamma.data());
  }
  assert.deepEqual(result.cfg, params.cfg);
  disposeTree(result);
  assert.equal(tf.memory().numTensors, before, "every tensor of the result is new and disposable");
  tf.dispose(batches);
  disposeTree(params);
});

Deno.test("recalibrateBatchNorm: recalibrated eval logits match training-mode logits on one batch", async () => {
  // With a single batch the running statistics equal that batch's, so eval-mode output on the
  // same batch equals training-mode output (up to the biased/unbiased variance factor).
  const params = randomParams(cfgOf([6, 6, 6], [0, 1, 2, 2]), 5);
  const x = tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const result = await recalibrateBatchNorm(vggOps, params, [x]);
  const evalLogits = forward(result, x, { training: false }).logits;
  const train = forward(params, x, { training: true });
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(evalLogits, train.logits))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(train.logits)).dataSync()[0]);
  assert.ok(diff <= 0.05 * scale, `eval vs train logits differ by ${diff} (scale ${scale})`);
  tf.dispose([
    evalLogits,
    train.logits,
    ...train.runningStats!.flatMap((s) => [s.runningMean, s.runningVar]),
    x,
  ]);
  disposeTree(result);
  disposeTree(params);
});

Deno.test("recalibrateBatchNorm: no batches is a UsageError", async () => {
  const params = randomParams(cfgOf([2], [0, 0, 0, 0]), 1);
  await assert.rejects(() => recalibrateBatchNorm(vggOps, params, []), /at least one batch/);
  disposeTree(params);
});
