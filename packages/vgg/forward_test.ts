import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { conv3x3BnRelu, disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { type CfgItem, convChannels } from "./cfg.ts";
import { forward } from "./forward.ts";
import { initVgg } from "./params.ts";
import { arbStagedCfg, randomImages } from "./testing.ts";

await tf.setBackend("cpu");

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

Deno.test("forward: logits [batch, classes] for random cfgs, and running stats per conv", () => {
  fc.assert(
    fc.property(
      arbStagedCfg,
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 2, max: 5 }),
      fc.nat(),
      (cfg, batch, numClasses, seed) => {
        const start = tf.memory().numTensors;
        const params = initVgg({ cfg, numClasses, seed });
        const x = randomImages(batch, seed);
        const owned = tf.memory().numTensors;
        assert.equal(owned, start + treeLeaves(params).length + 1);

        const evalOut = forward(params, x, { training: false });
        assert.deepEqual(evalOut.logits.shape, [batch, numClasses]);
        assert.equal(evalOut.runningStats, undefined);
        assert.ok((evalOut.logits.dataSync() as Float32Array).every(Number.isFinite));
        // Only the logits are new.
        assert.equal(tf.memory().numTensors, owned + 1);
        evalOut.logits.dispose();

        const trainOut = forward(params, x, { training: true });
        assert.deepEqual(trainOut.logits.shape, [batch, numClasses]);
        const channels = convChannels(cfg);
        assert.equal(trainOut.runningStats?.length, channels.length);
        trainOut.runningStats!.forEach((s, i) => {
          assert.deepEqual(s.runningMean.shape, [channels[i]]);
          assert.deepEqual(s.runningVar.shape, [channels[i]]);
          // The inputs' running stats are not reused or changed in place.
          assert.notEqual(s.runningMean, params.features[i].bn.runningMean);
          assert.notEqual(s.runningVar, params.features[i].bn.runningVar);
        });
        assert.equal(tf.memory().numTensors, owned + 1 + 2 * channels.length);
        disposeTree(trainOut);
        assert.equal(tf.memory().numTensors, owned);
        // Parameters untouched: initial running statistics still 0 and 1.
        for (const { bn } of params.features) {
          assert.ok((bn.runningMean.dataSync() as Float32Array).every((v) => v === 0));
          assert.ok((bn.runningVar.dataSync() as Float32Array).every((v) => v === 1));
        }
        disposeTree(params);
        x.dispose();
        assert.equal(tf.memory().numTensors, start);
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("forward: eval mode is per-example, training mode uses the batch statistics", () => {
  const cfg: CfgItem[] = [3, "M", 4, "M", "M", 2, "M"];
  const params = initVgg({ cfg, seed: 5 });
  const x = randomImages(3, 1);
  const first = tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 3]);
  const [evalAll, evalOne] = [x, first].map((input) => {
    const { logits } = forward(params, input, { training: false });
    const values = logits.dataSync().slice();
    logits.dispose();
    return values;
  });
  // Eval: the first row does not depend on the rest of the batch.
  assertClose(evalAll.subarray(0, 10), evalOne, 1e-5, "eval logits");
  // Training: it does (batch statistics), so the rows differ from eval.
  const train = forward(params, x, { training: true });
  const trainValues = train.logits.dataSync();
  assert.ok(
    trainValues.some((v, i) => Math.abs(v - evalAll[i]) > 1e-6),
    "training logits equal eval logits",
  );
  disposeTree(train);
  disposeTree(params);
  x.dispose();
  first.dispose();
});

Deno.test("conv3x3BnRelu: BN train and eval match a hand computation", () => {
  const [n, h, w, c] = [2, 2, 2, 3];
  const xs = Float32Array.from({ length: n * h * w * c }, (_, i) => ((i * 7) % 11) / 3 - 1.5);
  const gamma = [1.5, -0.5, 2];
  const beta = [0.1, 0.2, -0.3];
  const runningMean = [0.5, -1, 0];
  const runningVar = [2, 0.5, 1];
  // HWIO weight, identity at the centre tap: the conv output is the input.
  const wv = new Float32Array(3 * 3 * c * c);
  for (let ch = 0; ch < c; ch++) wv[((1 * 3 + 1) * c + ch) * c + ch] = 1;

  for (const [eps, momentum] of [[1e-5, 0.1], [0.1, 0.3]] as const) {
    const options = eps === 1e-5 ? {} : { eps, momentum }; // defaults: eps 1e-5, momentum 0.1
    const at = (i: number, ch: number) => xs[i * c + ch];
    const count = n * h * w;
    const mean = gamma.map((_, ch) => {
      let s = 0;
      for (let i = 0; i < count; i++) s += at(i, ch);
      return s / count;
    });
    const biasedVar = gamma.map((_, ch) => {
      let s = 0;
      for (let i = 0; i < count; i++) s += (at(i, ch) - mean[ch]) ** 2;
      return s / count;
    });
    const expectY = (m: number[], v: number[]) =>
      Array.from(xs, (value, k) => {
        const ch = k % c;
        return Math.max(0, (gamma[ch] * (value - m[ch])) / Math.sqrt(v[ch] + eps) + beta[ch]);
      });
    const expectedMean = runningMean.map((r, ch) => (1 - momentum) * r + momentum * mean[ch]);
    const expectedVar = runningVar.map((r, ch) =>
      (1 - momentum) * r + momentum * biasedVar[ch] * count / (count - 1)
    );

    const before = tf.memory().numTensors;
    const [y, trainMean, trainVar, evalY] = tf.tidy((): tf.Tensor[] => {
      const x = tf.tensor4d(xs, [n, h, w, c]);
      const weight = tf.tensor4d(wv, [3, 3, c, c]);
      const bn = {
        gamma: tf.tensor1d(gamma),
        beta: tf.tensor1d(beta),
        runningMean: tf.tensor1d(runningMean),
        runningVar: tf.tensor1d(runningVar),
      };
      const t = conv3x3BnRelu(x, weight, bn, { training: true, ...options });
      const e = conv3x3BnRelu(x, weight, bn, { training: false, ...options });
      assert.equal(e.runningMean, undefined);
      return [t.y, t.runningMean!, t.runningVar!, e.y];
    });
    assert.deepEqual(y.shape, [n, h, w, c]);
    assertClose(y.dataSync(), expectY(mean, biasedVar), 1e-5, `train y (eps ${eps})`);
    assertClose(trainMean.dataSync(), expectedMean, 1e-5, "running mean");
    assertClose(trainVar.dataSync(), expectedVar, 1e-5, "running var (unbiased)");
    assertClose(evalY.dataSync(), expectY(runningMean, runningVar), 1e-5, "eval y");
    assert.ok(Array.from(y.dataSync()).some((v) => v === 0), "relu clips something");
    tf.dispose([y, trainMean, trainVar, evalY]);
    assert.equal(tf.memory().numTensors, before);
  }
});
