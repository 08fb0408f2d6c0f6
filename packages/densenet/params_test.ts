import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { defaultDensenetCfg } from "./cfg.ts";
import {
  batchNorms,
  densenetUnits,
  initDensenet,
  trainableLeaves,
  unitPaths,
  withRunningStats,
  withTrainable,
} from "./params.ts";
import { densenetOps } from "./ops.ts";

await tf.setBackend("cpu");

function stats(t: tf.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

Deno.test("initDensenet: shapes and the reference initialisation", () => {
  const before = tf.memory().numTensors;
  const p = initDensenet({ depth: 13, growthRate: 12, numClasses: 10, seed: 5 });
  assert.deepEqual(p.cfg, defaultDensenetCfg(13));
  assert.deepEqual(p.conv1.weight.shape, [3, 3, 3, 24]);
  assert.equal(p.dense.length, 3);
  assert.equal(p.dense[0].length, 3);
  assert.equal(p.trans.length, 2);
  assert.deepEqual(p.dense[1][2].conv.weight.shape, [3, 3, 84, 12]);
  assert.deepEqual(p.trans[1].conv.weight.shape, [1, 1, 96, 96]);
  assert.deepEqual(p.fc.weight.shape, [132, 10]);
  // conv N(0, sqrt(2 / (k*k*out))): 3x3 with 12 outputs -> 0.136; 1x1 with 96 -> 0.144.
  const dense = tf.tidy(() =>
    stats(tf.concat(
      densenetUnits(p).filter((u) => u.conv.weight.shape[0] === 3).map((u) =>
        u.conv.weight.flatten()
      ),
    ))
  );
  assert.ok(Math.abs(dense.std - Math.sqrt(2 / 108)) < 0.01, `${dense.std}`);
  assert.ok(Math.abs(dense.mean) < 0.01);
  assert.ok(Math.abs(stats(p.trans[1].conv.weight).std - Math.sqrt(2 / 96)) < 0.005);
  for (const bn of batchNorms(p)) {
    assert.deepEqual(Array.from(new Set(bn.gamma.dataSync())), [0.5]);
    assert.deepEqual(Array.from(new Set(bn.beta.dataSync())), [0]);
    assert.deepEqual(Array.from(new Set(bn.runningVar.dataSync())), [1]);
  }
  // nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  const bound = 1 / Math.sqrt(132);
  const w = stats(p.fc.weight);
  assert.ok(w.min >= -bound && w.max <= bound && w.max > 0.9 * bound && w.min < -0.9 * bound);
  const b = stats(p.fc.bias);
  assert.ok(b.min >= -bound && b.max <= bound);
  for (const u of [...densenetUnits(p), p.final]) {
    assert.deepEqual(u.selected, Array.from({ length: u.bn.gamma.shape[0] }, (_, c) => c));
  }
  const again = initDensenet({ depth: 13, growthRate: 12, numClasses: 10, seed: 5 });
  assert.deepEqual(again.dense[2][1].conv.weight.dataSync(), p.dense[2][1].conv.weight.dataSync());
  disposeTree([p, again]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("initDensenet: width scales the growth rate; a pruned cfg selects its first channels", () => {
  const p = initDensenet({ depth: 10, growthRate: 12, width: 0.5, numClasses: 3, seed: 1 });
  assert.equal(p.growthRate, 6);
  assert.deepEqual(p.conv1.weight.shape, [3, 3, 3, 12]);
  const cfg = p.cfg.map((v) => Math.ceil(v / 3));
  const q = initDensenet({ depth: 10, growthRate: 6, cfg, numClasses: 3, seed: 1 });
  assert.deepEqual(q.cfg, cfg);
  assert.deepEqual(q.dense[0][1].selected, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(q.dense[0][1].conv.weight.shape, [3, 3, 6, 6]);
  assert.deepEqual(q.dense[0][1].bn.gamma.shape, [18]);
  assert.deepEqual(q.fc.weight.shape, [cfg[8], 3]);
  disposeTree([p, q]);
});

Deno.test("trainableLeaves / withTrainable / withRunningStats round trips; names", () => {
  const p = initDensenet({ depth: 10, growthRate: 3, numClasses: 4, seed: 2 });
  const leaves = trainableLeaves(p);
  assert.equal(leaves.length, 1 + 3 * 8 + 4);
  assert.deepEqual(unitPaths(p), [
    "dense1.0",
    "dense1.1",
    "trans1",
    "dense2.0",
    "dense2.1",
    "trans2",
    "dense3.0",
    "dense3.1",
  ]);
  const gammas = leaves.filter(([name]) => name.endsWith(".gamma"));
  assert.equal(gammas.length, 9);
  assert.deepEqual(gammas.map(([, t]) => t), batchNorms(p).map((bn) => bn.gamma));
  assert.deepEqual(leaves.slice(0, 4).map(([n]) => n), [
    "conv1.weight",
    "dense1.0.bn1.gamma",
    "dense1.0.bn1.beta",
    "dense1.0.conv1.weight",
  ]);
  const values = leaves.map(([, t]) => t);
  const same = withTrainable(p, values);
  assert.deepEqual(trainableLeaves(same).map(([, t]) => t), values);
  assert.equal(same.final.bn.runningVar, p.final.bn.runningVar);
  assert.deepEqual(same.trans[0].selected, p.trans[0].selected);
  assert.throws(() => withTrainable(p, values.slice(1)), RangeError);
  const newStats = batchNorms(p).map((bn) => ({
    runningMean: bn.runningVar,
    runningVar: bn.runningMean,
  }));
  const swapped = withRunningStats(p, newStats);
  assert.deepEqual(
    batchNorms(swapped).map((bn) => bn.runningMean),
    newStats.map((s) => s.runningMean),
  );
  assert.equal(swapped.fc, p.fc);
  assert.equal(densenetOps.arch, "densenet");
  assert.equal(treeLeaves(p).length, 1 + 8 * 5 + 4 + 2);
  disposeTree(p);
});
