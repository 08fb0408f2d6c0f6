import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { layerCapFloor } from "@slimming/slimming";
import { channelMasks, convChannels, gammaThreshold, prune, pruneLayerCapped } from "./mod.ts";
import { arbCfg, arbGammaKind, arbRatio, randomParams, snapshot } from "./testing.ts";

await tf.setBackend("cpu");

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
      arbGammaKind,
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
    fc.property(arbCfg(), fc.nat(), arbGammaKind, arbRatio, (cfg, seed, kind, ratio) => {
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
