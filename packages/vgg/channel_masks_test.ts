import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils";
import { type CfgItem, channelMasks, convChannels, gammaThreshold, prune } from "./mod.ts";
import { absPerLayer, arbCfg, arbGammaKind, arbRatio, withRandomParams } from "./testing.ts";

await tf.setBackend("cpu");

Deno.test("channelMasks keeps |gamma| > threshold, and the guard keeps the largest minChannels", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbGammaKind,
      arbRatio,
      fc.integer({ min: 0, max: 5 }),
      (cfg, seed, kind, ratio, minChannels) =>
        withRandomParams(cfg, seed, kind, (params) => {
          const { threshold } = gammaThreshold(params, ratio);
          const { masks, kept, guardedLayers } = channelMasks(params, threshold, { minChannels });
          const expectedGuarded: number[] = [];
          absPerLayer(params).forEach((abs, i) => {
            const pure = abs.map((v) => v > threshold);
            const floor = Math.min(minChannels, abs.length);
            const pureKept = pure.filter(Boolean).length;
            assert.equal(kept[i], masks[i].filter(Boolean).length);
            if (pureKept >= floor) {
              assert.deepEqual(masks[i], pure);
              return;
            }
            expectedGuarded.push(i);
            // The floor largest |gamma|, ties to the lower index.
            const order = abs.map((_, c) => c).sort((a, b) => abs[b] - abs[a] || a - b);
            const expected = abs.map((_, c) => order.indexOf(c) < floor);
            assert.deepEqual(masks[i], expected);
            assert.equal(kept[i], floor);
          });
          assert.deepEqual(guardedLayers, expectedGuarded);
        }),
    ),
    { numRuns: 80 },
  );
});

Deno.test("equal gammas (a lambda = 0 model) at 0.9: every layer emptied by the threshold, guard keeps the first minChannels", () => {
  const cfg: CfgItem[] = [5, "M", 3, "M", 8, "M", 1, "M", 4];
  withRandomParams(cfg, 2, "constant", (params) => {
    const { threshold } = gammaThreshold(params, 0.9);
    assert.equal(threshold, 0.5);
    assert.deepEqual(channelMasks(params, threshold, { minChannels: 0 }).kept, [0, 0, 0, 0, 0]);
    for (const minChannels of [1, 3]) {
      const { masks, kept, guardedLayers } = channelMasks(params, threshold, { minChannels });
      const channels = convChannels(cfg);
      assert.deepEqual(kept, channels.map((n) => Math.min(n, minChannels)));
      assert.deepEqual(guardedLayers, [0, 1, 2, 3, 4]);
      masks.forEach((mask, i) => assert.deepEqual(mask, mask.map((_, c) => c < kept[i])));
    }
  });
});

Deno.test("a bad minChannels is a UsageError", () => {
  withRandomParams([3, "M", "M", "M", "M"], 3, "distinct", (params) => {
    for (const minChannels of [-1, 1.5, NaN]) {
      assert.throws(() => channelMasks(params, 0.1, { minChannels }), UsageError);
      assert.throws(() => prune(params, 0.5, { minChannels }), UsageError);
    }
  });
});

Deno.test("gammaThreshold and channelMasks leave no tensors behind", () => {
  withRandomParams([6, "M", 4, "M", "M", "M"], 5, "ties", (params) => {
    const before = tf.memory().numTensors;
    const { threshold } = gammaThreshold(params, 0.3);
    channelMasks(params, threshold);
    assert.equal(tf.memory().numTensors, before);
  });
});
