import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { layerCapFloor } from "@slimming/slimming";
import {
  type CfgItem,
  convChannels,
  forward,
  maskParams,
  multiPassPrune,
  pruneLayerCapped,
  type VggParams,
} from "./mod.ts";
import { arbCfg, arbGammaKind, randomParams, snapshot } from "./testing.ts";

await tf.setBackend("cpu");

/** A stand-in for fine-tuning: a new tree with every gamma scaled per channel. */
function fakeFineTune(calls: Array<{ pass: number; cfg: CfgItem[] }>) {
  return (params: VggParams, pass: number): Promise<VggParams> => {
    calls.push({ pass, cfg: [...params.cfg] });
    return Promise.resolve({
      ...params,
      features: params.features.map((layer) => ({
        ...layer,
        bn: {
          ...layer.bn,
          gamma: tf.tidy(() =>
            tf.mul(layer.bn.gamma, tf.linspace(1, 0.5, layer.bn.gamma.shape[0])) as tf.Tensor1D
          ),
        },
      })),
    });
  };
}

Deno.test("a bad maxLayerRatio or passes is a UsageError", async () => {
  const params = randomParams([4, "M", "M", "M", "M"], 1);
  for (const maxLayerRatio of [-0.1, 1.1, NaN]) {
    assert.throws(() => pruneLayerCapped(params, 0.5, { maxLayerRatio }), UsageError);
    await assert.rejects(
      multiPassPrune(params, { passes: 1, ratio: 0.5, maxLayerRatio }),
      UsageError,
    );
  }
  for (const passes of [0, -1, 1.5, NaN]) {
    await assert.rejects(multiPassPrune(params, { passes, ratio: 0.5 }), UsageError);
  }
  disposeTree(params);
});

Deno.test("multiPassPrune: caps per pass, the callback after every pass, no tensor leaks", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbCfg(4, 12),
      fc.nat(),
      arbGammaKind,
      fc.integer({ min: 1, max: 3 }),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      fc.constantFrom(0.25, 0.5, 1),
      fc.integer({ min: 1, max: 2 }),
      async (cfg, seed, kind, passes, ratio, maxLayerRatio, minChannels) => {
        const params = randomParams(cfg, seed, kind);
        const before = snapshot(params);
        const start = tf.memory().numTensors;
        const calls: Array<{ pass: number; cfg: CfgItem[] }> = [];
        const result = await multiPassPrune(params, {
          passes,
          ratio,
          maxLayerRatio,
          minChannels,
          fineTune: fakeFineTune(calls),
        });
        assert.equal(result.reports.length, passes);
        assert.deepEqual(calls.map((c) => c.pass), [...Array(passes).keys()]);
        let channels = convChannels(cfg);
        result.reports.forEach((report, pass) => {
          assert.deepEqual(report.channelsBefore, channels);
          assert.deepEqual(calls[pass].cfg, report.cfg);
          report.kept.forEach((k, i) => {
            assert.ok(k >= layerCapFloor(channels[i], maxLayerRatio));
            assert.ok(k >= Math.min(channels[i], minChannels));
          });
          channels = report.kept;
        });
        assert.deepEqual(result.cfg, result.reports[passes - 1].cfg);
        assert.deepEqual(result.params.cfg, result.cfg);
        assert.deepEqual(snapshot(params), before);
        const size = result.params.features.length * 5 + 2;
        assert.equal(tf.memory().numTensors, start + size);
        disposeTree(result.params);
        disposeTree(params);
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("multiPassPrune without a callback, or one that returns its input, leaks nothing", async () => {
  const params = randomParams([8, "M", 6, "M", 8, "M", 4, "M"], 3);
  const start = tf.memory().numTensors;
  for (const fineTune of [undefined, (p: VggParams) => p]) {
    const result = await multiPassPrune(params, { passes: 3, ratio: 0.5, fineTune });
    assert.deepEqual(result.reports.map((r) => r.channelsBefore), [
      [8, 6, 8, 4],
      result.reports[0].kept,
      result.reports[1].kept,
    ]);
    disposeTree(result.params);
    assert.equal(tf.memory().numTensors, start);
  }
  disposeTree(params);
});

Deno.test("multiPassPrune disposes its intermediates when the callback throws", async () => {
  const params = randomParams([8, "M", 6, "M", "M", "M"], 4);
  const start = tf.memory().numTensors;
  const fineTune = (_: VggParams, pass: number) => {
    if (pass === 1) throw new Error("fine-tune failed");
    return Promise.resolve(_);
  };
  await assert.rejects(
    multiPassPrune(params, { passes: 3, ratio: 0.3, fineTune }),
    /fine-tune failed/,
  );
  assert.equal(tf.memory().numTensors, start);
  disposeTree(params);
});

Deno.test("multiPassPrune: the merged masks on the original model compute the final model", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbCfg(4, 12),
      fc.nat(),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      async (cfg, seed, ratio) => {
        const params = randomParams(cfg, seed);
        const result = await multiPassPrune(params, { passes: 2, ratio });
        const masked = maskParams(params, result.masks);
        const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", seed) as tf.Tensor4D;
        const logits = (p: VggParams) =>
          tf.tidy(() => forward(p, x, { training: false }).logits.dataSync() as Float32Array);
        const [a, b] = [logits(result.params), logits(masked)];
        const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
        assert.ok(diff <= 1e-4, `max difference ${diff}`);
        assert.deepEqual(
          result.masks.map((m) => m.filter(Boolean).length),
          result.reports[1].kept,
        );
        tf.dispose(x);
        disposeTree(masked);
        disposeTree(result.params);
        disposeTree(params);
      },
    ),
    { numRuns: 15 },
  );
});
