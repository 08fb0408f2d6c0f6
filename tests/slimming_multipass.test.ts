import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { type CfgItem, convChannels, type VggParams } from "@slimming/vgg";
import {
  channelMasks,
  gammaThreshold,
  layerCapFloor,
  multiPassPrune,
  prune,
  pruneLayerCapped,
} from "@slimming/slimming";
import { arbCfg, type GammaKind, randomParams, snapshot } from "../packages/slimming/_testing.ts";

await tf.setBackend("cpu");

const arbKind = fc.constantFrom<GammaKind>("distinct", "ties", "constant");
const arbRatio = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const arbCap = fc.double({ min: 0, max: 1, noNaN: true });

Deno.test("layerCapFloor is ceil((1 - maxLayerRatio) * channels)", () => {
  assert.equal(layerCapFloor(10, 0.5), 5);
  assert.equal(layerCapFloor(3, 0.5), 2);
  assert.equal(layerCapFloor(1, 0.5), 1);
  assert.equal(layerCapFloor(100, 0.29), 71);
  assert.equal(layerCapFloor(10, 0.7), 3);
  assert.equal(layerCapFloor(7, 0), 7);
  assert.equal(layerCapFloor(7, 1), 0);
});

Deno.test("pruneLayerCapped: the threshold, raised to the cap and the guard by largest |gamma|", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbKind,
      arbRatio,
      arbCap,
      fc.integer({ min: 1, max: 3 }),
      (cfg, seed, kind, ratio, maxLayerRatio, minChannels) => {
        const params = randomParams(cfg, seed, kind);
        const { threshold } = gammaThreshold(params, ratio);
        const pure = channelMasks(params, threshold, { minChannels: 0 });
        const result = pruneLayerCapped(params, ratio, { maxLayerRatio, minChannels });
        const { report } = result;
        const channels = convChannels(cfg);
        assert.equal(report.threshold, threshold);
        assert.equal(report.maxLayerRatio, maxLayerRatio);
        const caps = channels.map((n) => layerCapFloor(n, maxLayerRatio));
        const guards = channels.map((n) => Math.min(n, minChannels));
        channels.forEach((n, i) => {
          const floor = Math.max(caps[i], guards[i]);
          assert.equal(report.kept[i], Math.max(pure.kept[i], floor));
          assert.ok(n - report.kept[i] <= Math.floor(maxLayerRatio * n + 1e-9));
          // The threshold's channels are always among the kept ones.
          pure.masks[i].forEach((k, c) => assert.ok(!k || result.masks[i][c]));
        });
        assert.deepEqual(
          report.cappedLayers,
          channels.flatMap((_, i) => (pure.kept[i] < caps[i] ? [i] : [])),
        );
        assert.deepEqual(
          report.guardedLayers,
          channels.flatMap((_, i) => (pure.kept[i] < guards[i] ? [i] : [])),
        );
        assert.deepEqual(convChannels(result.cfg), report.kept);
        disposeTree(params);
        disposeTree(result.params);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("pruneLayerCapped with maxLayerRatio 1 is prune", () => {
  fc.assert(
    fc.property(arbCfg(), fc.nat(), arbKind, arbRatio, (cfg, seed, kind, ratio) => {
      const params = randomParams(cfg, seed, kind);
      const a = prune(params, ratio);
      const b = pruneLayerCapped(params, ratio, { maxLayerRatio: 1 });
      assert.deepEqual(b.masks, a.masks);
      assert.deepEqual(b.report.cappedLayers, []);
      assert.deepEqual(snapshot(b.params), snapshot(a.params));
      [params, a.params, b.params].forEach(disposeTree);
    }),
    { numRuns: 30 },
  );
});

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

Deno.test("multiPassPrune: caps per pass, the callback after every pass, no tensor leaks", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbCfg(4, 12),
      fc.nat(),
      arbKind,
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
