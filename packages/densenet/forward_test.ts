import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { type BatchNormState, disposeTree } from "@slimming/tensor-utils";
import { forward, selectChannels } from "./forward.ts";
import { densenetOps } from "./ops.ts";
import { type DensenetParams, type SelectedBn, selectedBns } from "./params.ts";
import { denseLayersPerBlock, densenetBnWidths, type DensenetSpec } from "./cfg.ts";
import { arbFullSpec, arbSpec, maxAbsDiff, randomDensenet, randomImages } from "./testing.ts";

await tf.setBackend("cpu");

/**
 * The reference's module order, written independently: BN (batch or running statistics)
 * -> select (gather) -> ReLU -> conv; concatenation; transitions; 8x8 average pool; fc.
 */
function naiveForward(p: DensenetParams, x: tf.Tensor4D, training: boolean) {
  const stats: Array<{ mean: number[]; var: number[] }> = [];
  const bnSelRelu = (h: tf.Tensor4D, u: SelectedBn): tf.Tensor4D => {
    const bn: BatchNormState = u.bn;
    let mean: tf.Tensor = bn.runningMean;
    let variance: tf.Tensor = bn.runningVar;
    if (training) {
      const m = tf.moments(h, [0, 1, 2]);
      mean = m.mean;
      variance = m.variance;
      const count = h.shape[0] * h.shape[1] * h.shape[2];
      stats.push({
        mean: Array.from(tf.add(tf.mul(bn.runningMean, 0.9), tf.mul(mean, 0.1)).dataSync()),
        var: Array.from(
          tf.add(tf.mul(bn.runningVar, 0.9), tf.mul(variance, 0.1 * count / (count - 1)))
            .dataSync(),
        ),
      });
    }
    const normed = tf.add(
      tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), bn.gamma),
      bn.beta,
    );
    const selected = tf.gather(normed, tf.tensor1d([...u.selected], "int32"), 3);
    return tf.relu(selected) as tf.Tensor4D;
  };
  let h = tf.conv2d(x, p.conv1.weight, 1, "same");
  for (let b = 0; b < 3; b++) {
    for (const u of p.dense[b]) {
      h = tf.concat([h, tf.conv2d(bnSelRelu(h, u), u.conv.weight, 1, "same")], 3);
    }
    if (b < 2) {
      const t = p.trans[b];
      h = tf.avgPool(tf.conv2d(bnSelRelu(h, t), t.conv.weight, 1, "valid"), 2, 2, "valid");
    }
  }
  const pooled = tf.mean(bnSelRelu(h, p.final), [1, 2]) as tf.Tensor2D;
  return { logits: tf.add(tf.matMul(pooled, p.fc.weight), p.fc.bias), stats };
}

Deno.test("forward equals the reference order BN -> select -> ReLU (eval and training)", () => {
  const before = tf.memory().numTensors;
  fc.assert(
    fc.property(
      arbSpec,
      fc.integer({ min: 0, max: 1000 }),
      fc.boolean(),
      (spec, seed, training) => {
        const p = randomDensenet(spec, seed);
        const x = randomImages(3, seed);
        const ours = forward(p, x, { training });
        const ref = tf.tidy(() => {
          const r = naiveForward(p, x, training);
          return { logits: r.logits, stats: r.stats };
        });
        const scale = Math.max(1, ...Array.from(ref.logits.dataSync(), Math.abs));
        assert.ok(maxAbsDiff(ours.logits.dataSync(), ref.logits.dataSync()) < 1e-4 * scale);
        if (training) {
          assert.equal(ours.runningStats!.length, spec.cfg.length);
          ours.runningStats!.forEach((s, i) => {
            assert.ok(maxAbsDiff(s.runningMean.dataSync(), ref.stats[i].mean) < 1e-4);
            assert.ok(maxAbsDiff(s.runningVar.dataSync(), ref.stats[i].var) < 1e-4);
          });
        } else {
          assert.equal(ours.runningStats, undefined);
        }
        tf.dispose([ours.logits, ref.logits, x]);
        for (const s of ours.runningStats ?? []) tf.dispose([s.runningMean, s.runningVar]);
        disposeTree(p);
      },
    ),
    { numRuns: 12 },
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("selectChannels: skips the gather when every channel is kept", () => {
  const x = randomImages(1, 3);
  assert.equal(selectChannels(x, [0, 1, 2]), x);
  const y = selectChannels(x, [2, 0]);
  assert.deepEqual(y.shape, [1, 32, 32, 2]);
  const expected = tf.tidy(() => tf.stack([tf.unstack(x, 3)[2], tf.unstack(x, 3)[0]], 3));
  assert.deepEqual(y.dataSync(), expected.dataSync());
  tf.dispose([x, y, expected]);
});

Deno.test("forward: logits [n, classes], only the returned tensors are new", () => {
  fc.assert(
    fc.property(arbFullSpec, fc.integer({ min: 1, max: 5 }), (spec, numClasses) => {
      const p = randomDensenet(spec, 4, "ties", numClasses);
      const x = randomImages(2, 1);
      const before = tf.memory().numTensors;
      const out = forward(p, x, { training: true, bnMomentum: 0.5 });
      assert.deepEqual(out.logits.shape, [2, numClasses]);
      assert.equal(tf.memory().numTensors, before + 1 + 2 * spec.cfg.length);
      tf.dispose(out.logits);
      for (const s of out.runningStats!) tf.dispose([s.runningMean, s.runningVar]);
      tf.dispose(x);
      disposeTree(p);
    }),
    { numRuns: 5 },
  );
});

function gammaGradients(spec: DensenetSpec, seed: number) {
  const p = randomDensenet(spec, seed);
  const x = randomImages(2, 2);
  const leaves = densenetOps.trainableLeaves(p);
  const grads = tf.grads((...values: tf.Tensor[]) => {
    const out = densenetOps.forward(densenetOps.withTrainable(p, values), x, { training: true });
    return tf.sum(tf.square(out.logits));
  })(leaves.map(([, t]) => t));
  const named = leaves.map(([name], i) => ({ name, grad: Array.from(grads[i].dataSync()) }));
  const selected = selectedBns(p).map((u) => u.selected);
  tf.dispose([...grads, x]);
  disposeTree(p);
  return { named, selected };
}

Deno.test("gradients reach every trainable of a full model", () => {
  const before = tf.memory().numTensors;
  const { named } = gammaGradients({ depth: 7, growthRate: 3, cfg: [6, 9, 9, 12, 12, 15] }, 6);
  for (const { name, grad } of named) assert.ok(grad.some((v) => v !== 0), `${name}: no gradient`);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("an unselected channel's gamma gets no gradient", () => {
  const { named, selected } = gammaGradients(
    { depth: 7, growthRate: 3, cfg: [3, 7, 5, 9, 4, 8] },
    6,
  );
  const gammas = named.filter(({ name }) => name.endsWith(".gamma"));
  assert.equal(gammas.length, selected.length);
  gammas.forEach(({ name, grad }, i) => {
    const kept = new Set(selected[i]);
    grad.forEach((v, c) => {
      if (!kept.has(c)) assert.equal(v, 0, `${name}[${c}]`);
    });
  });
});

Deno.test("forward in eval mode frees each feature map once the next exists", async () => {
  const spec = { depth: 40, growthRate: 4, cfg: densenetBnWidths(40, 4) };
  const p = randomDensenet(spec, 3);
  const n = 4;
  const x = randomImages(n, 3);
  // What a tidy-to-the-end pass would hold: every dense layer's concatenation.
  const perBlock = denseLayersPerBlock(40);
  let concatBytes = 0;
  for (let b = 0; b < 3; b++) {
    const pixels = (32 >> b) ** 2;
    for (let l = 0; l < perBlock; l++) {
      concatBytes += 4 * n * pixels * (spec.cfg[b * (perBlock + 1) + l] + spec.growthRate);
    }
  }
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    tf.dispose(forward(p, x, { training: false }).logits);
  });
  const peak = profile.peakBytes - before;
  assert.ok(peak < concatBytes / 2, `${peak} of ${concatBytes}`);
  tf.dispose(x);
  disposeTree(p);
});
