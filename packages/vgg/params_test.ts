import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { convChannels, scaleCfg } from "./cfg.ts";
import { initVgg } from "./params.ts";
import { REFERENCE_CFGS } from "./testing.ts";

await tf.setBackend("cpu");

function stats(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

Deno.test("initVgg: the reference initialisation (statistically) and seeded determinism", async () => {
  // VGG-11 at width 1/4: 16..128 channels, about 570k conv weights.
  const params = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 3 });
  assert.deepEqual(params.cfg, scaleCfg(REFERENCE_CFGS[11], 0.25));
  let inChannels = 3;
  for (const [layer, out] of convChannels(params.cfg).entries()) {
    const { conv, bn } = params.features[layer];
    assert.deepEqual(conv.weight.shape, [3, 3, inChannels, out]);
    const w = await conv.weight.data();
    const { mean, std } = stats(w);
    const expected = Math.sqrt(2 / (9 * out));
    // Standard error of the std is std/sqrt(2N) (N >= 432): 15% is ~4 sigma for the smallest.
    assert.ok(Math.abs(std / expected - 1) < 0.15, `layer ${layer}: std ${std} vs ${expected}`);
    assert.ok(
      Math.abs(mean) < (4 * expected) / Math.sqrt(w.length),
      `layer ${layer}: mean ${mean}`,
    );
    for (
      const [name, value] of [["gamma", 0.5], ["beta", 0], ["runningMean", 0], [
        "runningVar",
        1,
      ]] as const
    ) {
      const t = bn[name];
      assert.deepEqual(t.shape, [out], name);
      assert.ok((await t.data()).every((v) => v === value), `${name} = ${value}`);
    }
    inChannels = out;
  }
  // Conv layers are drawn independently: layers of the same shape differ.
  const [a, b] = [params.features[6].conv.weight, params.features[7].conv.weight];
  assert.deepEqual(a.shape, b.shape);
  assert.notDeepEqual(await a.data(), await b.data());
  const { weight, bias } = params.classifier;
  assert.deepEqual(weight.shape, [128, 100]);
  const head = stats(await weight.data());
  assert.ok(Math.abs(head.std - 0.01) < 0.0005, `classifier std ${head.std}`);
  assert.ok(Math.abs(head.mean) < 0.0005, `classifier mean ${head.mean}`);
  assert.deepEqual(bias.shape, [100]);
  assert.ok((await bias.data()).every((v) => v === 0));

  // Same seed: identical values; another seed: different ones.
  const again = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 3 });
  const other = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 4 });
  const leaves = treeLeaves(params), same = treeLeaves(again), diff = treeLeaves(other);
  for (let i = 0; i < leaves.length; i++) {
    assert.deepEqual(await same[i].data(), await leaves[i].data(), `leaf ${i}`);
  }
  assert.notDeepEqual(await diff[0].data(), await leaves[0].data());
  assert.notDeepEqual(
    await other.classifier.weight.data(),
    await params.classifier.weight.data(),
  );
  [params, again, other].forEach(disposeTree);
});
