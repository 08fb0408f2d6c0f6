import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import { bnSelectRelu, forward } from "./forward.ts";
import { batchNorms, initResnet, type ResnetParams } from "./params.ts";
import { resnetOps } from "./ops.ts";
import { randomImages, randomResnetParams } from "./testing.ts";

await tf.setBackend("cpu");

/** Depth 11 with stage widths 3, 4, 5: block inputs 3, 12 and 16 channels, head 20. */
const SHAPE = { depth: 11, planes: [3, 4, 5] as const, cfg: [3, 4, 2, 12, 3, 5, 16, 2, 6, 20] };

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test("bnSelectRelu: BN -> select -> ReLU (the reference's order) in both modes", () => {
  const params = randomResnetParams(SHAPE, 3);
  const bn = params.blocks[1].bn1;
  const x = tf.randomNormal([2, 4, 4, 12], 0, 2, "float32", 1) as tf.Tensor4D;
  const select = [0, 3, 4, 9, 11];
  for (const training of [false, true]) {
    const stats: { runningMean: tf.Tensor1D; runningVar: tf.Tensor1D }[] = [];
    const ours = bnSelectRelu(x, bn, select, { training }, stats);
    const reference = tf.tidy(() => {
      const m = training
        ? tf.moments(x, [0, 1, 2])
        : { mean: bn.runningMean, variance: bn.runningVar };
      const normed = tf.batchNorm(x, m.mean, m.variance, bn.beta, bn.gamma, 1e-5);
      return tf.relu(tf.gather(normed, tf.tensor1d(select, "int32"), 3));
    });
    assert.deepEqual(ours.shape, [2, 4, 4, 5]);
    assert.ok(maxDiff(ours, reference) < 1e-5);
    // Statistics cover every channel, selected or not, as the reference's BN does.
    assert.equal(stats.length, training ? 1 : 0);
    if (training) assert.deepEqual(stats[0].runningMean.shape, [12]);
    tf.dispose([ours, reference, ...stats.flatMap((s) => [s.runningMean, s.runningVar])]);
    // All channels selected: no gather, same result as bnRelu alone.
    const all = Array.from({ length: 12 }, (_, i) => i);
    const full = bnSelectRelu(x, bn, all, { training: false }, []);
    assert.deepEqual(full.shape, [2, 4, 4, 12]);
    full.dispose();
  }
  x.dispose();
  disposeTree(params);
});

Deno.test("forward: logits shape, running statistics per BN, no leaks, modes differ", () => {
  const params = randomResnetParams(SHAPE, 4, "distinct", 7);
  const x = randomImages(3, 2);
  const before = tf.memory().numTensors;
  const evalOut = forward(params, x, { training: false });
  assert.deepEqual(evalOut.logits.shape, [3, 7]);
  assert.equal(evalOut.runningStats, undefined);
  assert.equal(tf.memory().numTensors, before + 1);
  const trainOut = forward(params, x, { training: true, bnMomentum: 0.3 });
  const bns = batchNorms(params);
  assert.equal(trainOut.runningStats!.length, bns.length);
  trainOut.runningStats!.forEach((s, i) => {
    assert.deepEqual(s.runningMean.shape, bns[i].gamma.shape);
    assert.deepEqual(s.runningVar.shape, bns[i].gamma.shape);
  });
  assert.equal(tf.memory().numTensors, before + 1 + 1 + 2 * bns.length);
  assert.ok(maxDiff(evalOut.logits, trainOut.logits) > 1e-3);
  tf.dispose([evalOut.logits, trainOut.logits]);
  for (const s of trainOut.runningStats!) tf.dispose([s.runningMean, s.runningVar]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  disposeTree(params);
});

Deno.test("forward: eval mode is the same function of the inputs, batch by batch", () => {
  const params = randomResnetParams(SHAPE, 5);
  const x = randomImages(4, 3);
  const whole = forward(params, x, { training: false }).logits;
  const parts = tf.tidy(() =>
    tf.concat([0, 2].map((s) => forward(params, x.slice(s, 2), { training: false }).logits))
  );
  assert.ok(maxDiff(whole, parts) < 1e-4);
  tf.dispose([whole, parts, x]);
  disposeTree(params);
});

Deno.test("resnetOps: gradients reach every trainable tensor", () => {
  const params: ResnetParams = initResnet({ depth: 11, width: 0.125, seed: 1 });
  const x = randomImages(2, 1);
  const leaves = resnetOps.trainableLeaves(params);
  const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
    const out = resnetOps.forward(resnetOps.withTrainable(params, values), x, { training: true });
    return tf.sum(tf.square(out.logits)) as tf.Scalar;
  })(leaves.map(([, t]) => t));
  grads.forEach((g, i) => {
    assert.deepEqual(g.shape, leaves[i][1].shape, leaves[i][0]);
    assert.ok(
      tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0,
      `${leaves[i][0]} has no gradient`,
    );
  });
  assert.equal(resnetOps.arch, "resnet");
  tf.dispose([value, ...grads, x]);
  disposeTree(params);
});
