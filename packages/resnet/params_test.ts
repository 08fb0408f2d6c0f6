import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { defaultResnetCfg } from "./cfg.ts";
import {
  batchNorms,
  initResnet,
  trainableLeaves,
  withRunningStats,
  withTrainable,
} from "./params.ts";

await tf.setBackend("cpu");

function stats(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

Deno.test("initResnet: the reference initialisation (statistically), shapes and determinism", () => {
  const params = initResnet({ depth: 20, numClasses: 100, seed: 3 });
  assert.deepEqual(params.cfg, defaultResnetCfg(20));
  assert.deepEqual(params.planes, [16, 32, 64]);
  assert.deepEqual(params.conv1.shape, [3, 3, 3, 16]);
  const convs: tf.Tensor4D[] = [params.conv1];
  for (const block of params.blocks) {
    convs.push(block.conv1, block.conv2, block.conv3);
    if (block.downsample) convs.push(block.downsample);
    assert.deepEqual(block.select, Array.from({ length: block.bn1.gamma.shape[0] }, (_, i) => i));
  }
  assert.equal(params.blocks.filter((b) => b.downsample).length, 3);
  for (const w of convs) {
    const [k, , , out] = w.shape;
    const expected = Math.sqrt(2 / (k * k * out));
    const { mean, std } = stats(w.dataSync());
    assert.ok(Math.abs(std / expected - 1) < 0.2, `${w.shape}: std ${std} vs ${expected}`);
    assert.ok(Math.abs(mean) < (5 * expected) / Math.sqrt(w.size), `${w.shape}: mean ${mean}`);
  }
  for (const bn of batchNorms(params)) {
    assert.ok(bn.gamma.dataSync().every((v) => v === 0.5));
    assert.ok(bn.beta.dataSync().every((v) => v === 0));
    assert.ok(bn.runningMean.dataSync().every((v) => v === 0));
    assert.ok(bn.runningVar.dataSync().every((v) => v === 1));
  }
  assert.equal(batchNorms(params).length, 19);
  // nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  assert.deepEqual(params.fc.weight.shape, [256, 100]);
  const bound = 1 / 16;
  const w = params.fc.weight.dataSync();
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.abs(stats(w).std / (bound / Math.sqrt(3)) - 1) < 0.05);
  assert.ok(params.fc.bias.dataSync().every((v) => Math.abs(v) <= bound));
  const again = initResnet({ depth: 20, numClasses: 100, seed: 3 });
  const other = initResnet({ depth: 20, numClasses: 100, seed: 4 });
  const a = treeLeaves(params).map((t) => Array.from(t.dataSync()));
  assert.deepEqual(treeLeaves(again).map((t) => Array.from(t.dataSync())), a);
  assert.notDeepEqual(treeLeaves(other).map((t) => Array.from(t.dataSync())), a);
  for (const p of [params, again, other]) disposeTree(p);
});

Deno.test("initResnet: width and a cfg with narrower selections", () => {
  const small = initResnet({ depth: 11, width: 0.25, seed: 1 });
  assert.deepEqual(small.planes, [4, 8, 16]);
  assert.deepEqual(small.cfg, defaultResnetCfg(11, 0.25));
  assert.deepEqual(small.fc.weight.shape, [64, 10]);
  const cfg = [3, 5, 6, 10, 7, 8, 20, 9, 2, 17];
  const custom = initResnet({ depth: 11, width: 0.25, cfg, seed: 1 });
  assert.deepEqual(custom.blocks[1].select, Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(custom.blocks[1].bn1.gamma.shape, [16]);
  assert.deepEqual(custom.blocks[1].conv1.shape, [1, 1, 10, 7]);
  assert.deepEqual(custom.blocks[2].conv2.shape, [3, 3, 9, 2]);
  assert.deepEqual(custom.blocks[2].conv3.shape, [1, 1, 2, 64]);
  assert.deepEqual(custom.fc.weight.shape, [17, 10]);
  assert.deepEqual(custom.select.length, 17);
  disposeTree(small);
  disposeTree(custom);
  assert.throws(() => initResnet({ depth: 12, seed: 1 }), /9n\+2/);
});

Deno.test("trainableLeaves/withTrainable/withRunningStats: names, order and round trips", () => {
  const params = initResnet({ depth: 11, width: 0.25, seed: 2 });
  const leaves = trainableLeaves(params);
  const names = leaves.map(([n]) => n);
  assert.equal(new Set(names).size, names.length);
  assert.equal(names[0], "conv1.weight");
  assert.deepEqual(names.slice(1, 5), [
    "layer1.0.bn1.gamma",
    "layer1.0.bn1.beta",
    "layer1.0.conv1.weight",
    "layer1.0.bn2.gamma",
  ]);
  assert.ok(names.includes("layer3.0.downsample.weight"));
  assert.deepEqual(names.slice(-4), ["bn.gamma", "bn.beta", "fc.weight", "fc.bias"]);
  const gammas = leaves.filter(([n]) => n.endsWith(".gamma")).map(([, t]) => t);
  assert.deepEqual(gammas, batchNorms(params).map((bn) => bn.gamma));
  const values = leaves.map(([, t]) => tf.add(t, 1));
  const replaced = withTrainable(params, values);
  assert.deepEqual(trainableLeaves(replaced).map(([, t]) => t), values);
  assert.deepEqual(replaced.blocks.map((b) => b.select), params.blocks.map((b) => b.select));
  assert.equal(replaced.blocks[0].bn1.runningMean, params.blocks[0].bn1.runningMean);
  assert.throws(() => withTrainable(params, values.slice(1)), RangeError);
  const stats = batchNorms(params).map((bn) => ({
    runningMean: tf.add(bn.runningMean, 2) as tf.Tensor1D,
    runningVar: tf.add(bn.runningVar, 3) as tf.Tensor1D,
  }));
  const withStats = withRunningStats(params, stats);
  assert.deepEqual(
    batchNorms(withStats).map((bn) => bn.runningMean),
    stats.map((s) => s.runningMean),
  );
  assert.deepEqual(
    batchNorms(withStats).map((bn) => bn.runningVar),
    stats.map((s) => s.runningVar),
  );
  assert.equal(batchNorms(withStats)[3].gamma, batchNorms(params)[3].gamma);
  assert.throws(() => withRunningStats(params, stats.slice(1)), RangeError);
  tf.dispose(values);
  tf.dispose(stats.flatMap((s) => [s.runningMean, s.runningVar]));
  disposeTree(params);
});
