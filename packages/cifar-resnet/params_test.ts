import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { defaultCifarResnetCfg } from "./cfg.ts";
import {
  cifarResnetBatchNorms,
  cifarResnetNumClasses,
  cifarResnetSpecOf,
  cifarResnetTrainableLeaves,
  cifarResnetWithRunningStats,
  cifarResnetWithTrainable,
  initCifarResnet,
  slimmedBatchNorms,
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

Deno.test("initCifarResnet: He (fan-out) convs, gamma 0.5, nn.Linear head, shapes, determinism", () => {
  const params = initCifarResnet({ depth: 20, numClasses: 100, seed: 3 });
  assert.deepEqual(cifarResnetSpecOf(params), {
    depth: 20,
    planes: [16, 32, 64],
    cfg: defaultCifarResnetCfg(20),
  });
  assert.equal(cifarResnetNumClasses(params), 100);
  assert.deepEqual(params.conv1.shape, [3, 3, 3, 16]);
  assert.deepEqual(params.residualBlocks[3].conv1.shape, [3, 3, 16, 32]);
  assert.deepEqual(params.residualBlocks[3].downsample!.conv.shape, [1, 1, 16, 32]);
  assert.equal(params.residualBlocks.filter((b) => b.downsample).length, 2);
  const convs: tf.Tensor4D[] = [params.conv1];
  for (const block of params.residualBlocks) {
    convs.push(block.conv1, block.conv2);
    if (block.downsample) convs.push(block.downsample.conv);
  }
  for (const w of convs) {
    const [k, , , out] = w.shape;
    const expected = Math.sqrt(2 / (k * k * out));
    const { mean, std } = stats(w.dataSync());
    assert.ok(Math.abs(std / expected - 1) < 0.2, `${w.shape}: std ${std} vs ${expected}`);
    assert.ok(Math.abs(mean) < (5 * expected) / Math.sqrt(w.size), `${w.shape}: mean ${mean}`);
  }
  for (const bn of cifarResnetBatchNorms(params)) {
    assert.ok(bn.gamma.dataSync().every((v) => v === 0.5));
    assert.ok(bn.beta.dataSync().every((v) => v === 0));
    assert.ok(bn.runningMean.dataSync().every((v) => v === 0));
    assert.ok(bn.runningVar.dataSync().every((v) => v === 1));
  }
  assert.deepEqual(params.fc.weight.shape, [64, 100]);
  const bound = 1 / 8;
  const w = params.fc.weight.dataSync();
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.abs(stats(w).std / (bound / Math.sqrt(3)) - 1) < 0.05);
  assert.ok(params.fc.bias.dataSync().every((v) => Math.abs(v) <= bound));
  const again = initCifarResnet({ depth: 20, numClasses: 100, seed: 3 });
  const other = initCifarResnet({ depth: 20, numClasses: 100, seed: 4 });
  const a = treeLeaves(params).map((t) => Array.from(t.dataSync()));
  assert.deepEqual(treeLeaves(again).map((t) => Array.from(t.dataSync())), a);
  assert.notDeepEqual(treeLeaves(other).map((t) => Array.from(t.dataSync())), a);
  for (const p of [params, again, other]) disposeTree(p);
});

Deno.test("initCifarResnet: width, explicit planes and a pruned cfg", () => {
  const small = initCifarResnet({ depth: 8, width: 0.25, seed: 1 });
  assert.deepEqual(small.planes, [4, 8, 16]);
  assert.deepEqual(small.cfg, [4, 8, 16]);
  const custom = initCifarResnet({ depth: 8, planes: [4, 8, 16], cfg: [3, 5, 2], seed: 1 });
  assert.deepEqual(custom.residualBlocks[1].conv1.shape, [3, 3, 4, 5]);
  assert.deepEqual(custom.residualBlocks[1].bn1.gamma.shape, [5]);
  assert.deepEqual(custom.residualBlocks[1].conv2.shape, [3, 3, 5, 8]);
  assert.deepEqual(custom.residualBlocks[2].conv2.shape, [3, 3, 2, 16]);
  assert.deepEqual(custom.fc.weight.shape, [16, 10]);
  disposeTree(small);
  disposeTree(custom);
  assert.throws(() => initCifarResnet({ depth: 12, seed: 1 }), /6n\+2/);
  assert.throws(() => initCifarResnet({ depth: 8, cfg: [1, 2], seed: 1 }), /needs 3 entries/);
});

Deno.test("trainable leaves: only the pruned BNs' scales are .gamma; round trips", () => {
  const params = initCifarResnet({ depth: 8, width: 0.25, seed: 2 });
  const leaves = cifarResnetTrainableLeaves(params);
  const names = leaves.map(([n]) => n);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.slice(0, 8), [
    "conv1.weight",
    "bn1.weight",
    "bn1.bias",
    "layer1.0.conv1.weight",
    "layer1.0.bn1.gamma",
    "layer1.0.bn1.beta",
    "layer1.0.conv2.weight",
    "layer1.0.bn2.weight",
  ]);
  assert.ok(names.includes("layer2.0.downsample.1.bias"));
  assert.deepEqual(names.slice(-2), ["fc.weight", "fc.bias"]);
  const gammas = leaves.filter(([n]) => n.endsWith(".gamma")).map(([, t]) => t);
  assert.deepEqual(gammas, slimmedBatchNorms(params).map((bn) => bn.gamma));
  const values = leaves.map(([, t]) => tf.add(t, 1));
  const replaced = cifarResnetWithTrainable(params, values);
  assert.deepEqual(cifarResnetTrainableLeaves(replaced).map(([, t]) => t), values);
  assert.equal(
    replaced.residualBlocks[0].bn1.runningMean,
    params.residualBlocks[0].bn1.runningMean,
  );
  assert.throws(() => cifarResnetWithTrainable(params, values.slice(1)), RangeError);
  const bns = cifarResnetBatchNorms(params);
  const stats = bns.map((bn) => ({
    runningMean: tf.add(bn.runningMean, 2) as tf.Tensor1D,
    runningVar: tf.add(bn.runningVar, 3) as tf.Tensor1D,
  }));
  const withStats = cifarResnetWithRunningStats(params, stats);
  assert.deepEqual(
    cifarResnetBatchNorms(withStats).map((bn) => [bn.runningMean, bn.runningVar]),
    stats.map((s) => [s.runningMean, s.runningVar]),
  );
  assert.equal(cifarResnetBatchNorms(withStats)[3].gamma, bns[3].gamma);
  assert.equal(
    withStats.residualBlocks[1].downsample!.conv,
    params.residualBlocks[1].downsample!.conv,
  );
  assert.throws(() => cifarResnetWithRunningStats(params, stats.slice(1)), RangeError);
  tf.dispose(values);
  tf.dispose(stats.flatMap((s) => [s.runningMean, s.runningVar]));
  disposeTree(params);
});
