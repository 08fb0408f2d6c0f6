import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import {
  channelMasks,
  convChannels,
  forward,
  fromStateDict,
  gammaThreshold,
  maskParams,
  prune,
  toStateDict,
  validateCfg,
  type VggParams,
} from "@slimming/vgg";
import {
  type Golden,
  goldenInput,
  haveGolden,
  loadGolden,
  relativeError,
  stateDictAt,
} from "./golden_helpers.ts";

await tf.setBackend("cpu");

const TOLERANCE = 1e-5;

function withGolden(fn: (golden: Golden, init: VggParams, x: tf.Tensor4D) => Promise<void> | void) {
  return async () => {
    const golden = loadGolden();
    const init = fromStateDict(stateDictAt(golden, "init.", golden.json.cfg));
    const x = goldenInput(golden);
    try {
      await fn(golden, init, x);
    } finally {
      disposeTree(init);
      x.dispose();
    }
  };
}

function evalLogits(params: VggParams, x: tf.Tensor4D): Float32Array {
  const { logits } = forward(params, x, { training: false });
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
}

function expectClose(actual: ArrayLike<number>, golden: Golden, key: string): void {
  const expected = golden.tensors[key];
  assert.ok(expected, `golden ${key}`);
  const error = relativeError(actual, expected.data as Float32Array);
  assert.ok(error < TOLERANCE, `${key}: relative error ${error}`);
}

Deno.test({
  name: "golden: prune at 0.5 matches vggprune.py (threshold, kept, cfg, masked and slim models)",
  ignore: !haveGolden,
  fn: withGolden(async (golden, init, x) => {
    const expected = golden.json.prune["0.5"];
    const { threshold, total } = gammaThreshold(init, 0.5);
    assert.equal(threshold, Math.fround(expected.threshold));
    assert.equal(total, expected.total);
    const pure = channelMasks(init, threshold, { minChannels: 0 });
    assert.deepEqual(pure.kept, expected.kept);

    const masked = maskParams(init, pure.masks);
    expectClose(evalLogits(masked, x), golden, "prune0.5.masked_eval_logits");
    disposeTree(masked);

    const slim = prune(init, 0.5);
    assert.deepEqual(slim.report.kept, expected.kept);
    assert.deepEqual(slim.report.guardedLayers, []);
    assert.deepEqual(slim.cfg, expected.cfg);
    assert.equal(slim.report.pruned, expected.total - expected.kept.reduce((a, b) => a + b, 0));
    const dict = await toStateDict(slim.params);
    const prefix = "prune0.5.slim.";
    const keys = Object.keys(golden.tensors).filter((k) => k.startsWith(prefix));
    assert.equal(keys.length, 37);
    for (const key of keys) {
      const name = key.slice(prefix.length);
      assert.ok(dict[name], `missing ${name}`);
      assert.deepEqual(dict[name].shape, golden.tensors[key].shape, name);
      expectClose(dict[name].data as Float32Array, golden, key);
    }
    expectClose(evalLogits(slim.params, x), golden, "prune0.5.slim_eval_logits");
    disposeTree(slim.params);
  }),
});

Deno.test({
  name:
    "golden: at 0.9 the threshold empties layer 0; masked logits match, the guard keeps minChannels",
  ignore: !haveGolden,
  fn: withGolden((golden, init, x) => {
    const expected = golden.json.prune["0.9"];
    const { threshold } = gammaThreshold(init, 0.9);
    assert.equal(threshold, Math.fround(expected.threshold));
    const pure = channelMasks(init, threshold, { minChannels: 0 });
    assert.deepEqual(pure.kept, expected.kept);
    assert.deepEqual(pure.guardedLayers, []);
    const masked = maskParams(init, pure.masks);
    expectClose(evalLogits(masked, x), golden, "prune0.9.masked_eval_logits");
    disposeTree(masked);

    const channels = convChannels(golden.json.cfg);
    for (const minChannels of [1, 3]) {
      const floors = channels.map((n) => Math.min(n, minChannels));
      const { report, params, cfg } = prune(init, 0.9, { minChannels });
      assert.equal(report.kept[0], minChannels);
      assert.ok(report.guardedLayers.includes(0));
      assert.deepEqual(report.kept, expected.kept.map((k, i) => Math.max(k, floors[i])));
      assert.deepEqual(
        report.guardedLayers,
        expected.kept.flatMap((k, i) => (k < floors[i] ? [i] : [])),
      );
      assert.deepEqual(validateCfg(cfg), cfg);
      assert.ok(evalLogits(params, x).every(Number.isFinite));
      disposeTree(params);
    }
  }),
});
