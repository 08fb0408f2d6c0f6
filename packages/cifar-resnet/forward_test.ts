import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import { batchNorm } from "./batch_norm.ts";
import { cifarResnetForward } from "./forward.ts";
import { cifarResnetOps } from "./ops.ts";
import { cifarResnetBatchNorms, type CifarResnetParams, initCifarResnet } from "./params.ts";
import { maxAbsDiff, randomCifarResnet, randomImages } from "./testing.ts";

await tf.setBackend("cpu");

/** Depth 8 at stage widths 3, 4, 5 with inner widths 2, 6, 1. */
const SPEC = { depth: 8, planes: [3, 4, 5] as const, cfg: [2, 6, 1] };

Deno.test("batchNorm: PyTorch's training-mode rule (biased normalising, unbiased running)", () => {
  const params = randomCifarResnet(SPEC, 3);
  const bn = params.residualBlocks[2].bn2;
  const x = tf.randomNormal([2, 3, 3, 5], 1, 2, "float32", 1) as tf.Tensor4D;
  const r = batchNorm(x, bn, { training: true, momentum: 0.25 });
  const values = x.arraySync().flat(2) as number[][];
  const c = 3;
  const column = values.map((v) => v[c]);
  const mean = column.reduce((a, b) => a + b, 0) / column.length;
  const biased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
  const unbiased = (biased * column.length) / (column.length - 1);
  const [g, b, rm, rv] = [bn.gamma, bn.beta, bn.runningMean, bn.runningVar].map((t) =>
    t.dataSync()[c]
  );
  const y0 = (g * (column[0] - mean)) / Math.sqrt(biased + 1e-5) + b;
  assert.ok(Math.abs(r.y.dataSync()[c] - y0) < 1e-4);
  assert.ok(Math.abs(r.runningMean!.dataSync()[c] - (0.75 * rm + 0.25 * mean)) < 1e-5);
  assert.ok(Math.abs(r.runningVar!.dataSync()[c] - (0.75 * rv + 0.25 * unbiased)) < 1e-4);
  const e = batchNorm(x, bn, { training: false });
  const y1 = (g * (column[0] - rm)) / Math.sqrt(rv + 1e-5) + b;
  assert.ok(Math.abs(e.y.dataSync()[c] - y1) < 1e-4);
  assert.equal(e.runningMean, undefined);
  tf.dispose([x, r.y, r.runningMean!, r.runningVar!, e.y]);
  disposeTree(params);
});

Deno.test("forward: logits shape, one running statistic per BN, no leaks, modes differ", () => {
  const params = randomCifarResnet(SPEC, 4, "distinct", 7);
  const x = randomImages(3, 2);
  const before = tf.memory().numTensors;
  const evalOut = cifarResnetForward(params, x, { training: false });
  assert.deepEqual(evalOut.logits.shape, [3, 7]);
  assert.equal(evalOut.runningStats, undefined);
  assert.equal(tf.memory().numTensors, before + 1);
  const trainOut = cifarResnetForward(params, x, { training: true, bnMomentum: 0.3 });
  const bns = cifarResnetBatchNorms(params);
  assert.equal(bns.length, 1 + 2 * 3 + 2);
  assert.equal(trainOut.runningStats!.length, bns.length);
  trainOut.runningStats!.forEach((s, i) => {
    assert.deepEqual(s.runningMean.shape, bns[i].gamma.shape, `BN ${i}`);
    assert.deepEqual(s.runningVar.shape, bns[i].gamma.shape, `BN ${i}`);
  });
  assert.equal(tf.memory().numTensors, before + 2 + 2 * bns.length);
  assert.ok(maxAbsDiff(evalOut.logits.dataSync(), trainOut.logits.dataSync()) > 1e-3);
  tf.dispose([evalOut.logits, trainOut.logits]);
  for (const s of trainOut.runningStats!) tf.dispose([s.runningMean, s.runningVar]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  disposeTree(params);
});

Deno.test("forward: eval mode is the same function of each image, batch by batch", () => {
  const params = randomCifarResnet(SPEC, 5);
  const x = randomImages(4, 3);
  const whole = cifarResnetForward(params, x, { training: false }).logits;
  const parts = tf.tidy(() =>
    tf.concat(
      [0, 2].map((s) => cifarResnetForward(params, x.slice(s, 2), { training: false }).logits),
    )
  );
  assert.ok(maxAbsDiff(whole.dataSync(), parts.dataSync()) < 1e-4);
  tf.dispose([whole, parts, x]);
  disposeTree(params);
});

Deno.test("forward: a zeroed block (bn2 gamma and beta 0) passes its input through ReLU", () => {
  // With bn2 silenced an identity block computes relu(x) = x (x is a ReLU output already), so
  // the logits equal those of the same model without the block's contribution: a check of
  // the residual path that does not depend on the conv arithmetic.
  const spec = { depth: 14, planes: [3, 3, 3] as const, cfg: [2, 2, 2, 2, 2, 2] };
  const params = randomCifarResnet(spec, 6);
  const silence = (p: CifarResnetParams, b: number): CifarResnetParams => ({
    ...p,
    residualBlocks: p.residualBlocks.map((block, i) =>
      i === b
        ? {
          ...block,
          bn2: {
            ...block.bn2,
            gamma: tf.zerosLike(block.bn2.gamma),
            beta: tf.zerosLike(block.bn2.beta),
          },
        }
        : block
    ),
  });
  const x = randomImages(2, 4);
  const once = silence(params, 1);
  const a = cifarResnetForward(once, x, { training: false }).logits;
  // Changing the silenced block's convs cannot change anything.
  const changed: CifarResnetParams = {
    ...once,
    residualBlocks: once.residualBlocks.map((block, i) =>
      i === 1 ? { ...block, conv1: tf.mul(block.conv1, 3) as tf.Tensor4D } : block
    ),
  };
  const b = cifarResnetForward(changed, x, { training: false }).logits;
  assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-6);
  // ...while in the model itself it does.
  const c = cifarResnetForward(params, x, { training: false }).logits;
  assert.ok(maxAbsDiff(a.dataSync(), c.dataSync()) > 1e-4);
  tf.dispose([a, b, c, x, once.residualBlocks[1].bn2.gamma, once.residualBlocks[1].bn2.beta]);
  changed.residualBlocks[1].conv1.dispose();
  disposeTree(params);
});

Deno.test("cifarResnetOps: gradients reach every trainable tensor", () => {
  const params = initCifarResnet({ depth: 8, width: 0.25, seed: 1 });
  const x = randomImages(2, 1);
  const leaves = cifarResnetOps.trainableLeaves(params);
  const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
    const out = cifarResnetOps.forward(cifarResnetOps.withTrainable(params, values), x, {
      training: true,
    });
    return tf.sum(tf.square(out.logits)) as tf.Scalar;
  })(leaves.map(([, t]) => t));
  grads.forEach((g, i) => {
    assert.deepEqual(g.shape, leaves[i][1].shape, leaves[i][0]);
    assert.ok(
      tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0,
      `${leaves[i][0]} has no gradient`,
    );
  });
  assert.equal(cifarResnetOps.arch, "cifar-resnet");
  tf.dispose([value, ...grads, x]);
  disposeTree(params);
});
