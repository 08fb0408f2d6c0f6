import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { type CfgItem, convChannels, type VggParams } from "@slimming/vgg";
import {
  channelMasks,
  gammaThreshold,
  multiPassPrune,
  prune,
  pruneLayerCapped,
  validateRatio,
} from "@slimming/slimming";
import { arbCfg, type GammaKind, randomParams } from "../packages/slimming/_testing.ts";

await tf.setBackend("cpu");

const arbKind = fc.constantFrom<GammaKind>("distinct", "ties", "constant");
const arbRatio = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

function absPerLayer(params: VggParams): number[][] {
  return params.features.map((l) => Array.from(l.bn.gamma.dataSync(), Math.abs));
}

function withModel<T>(cfg: CfgItem[], seed: number, kind: GammaKind, fn: (p: VggParams) => T): T {
  const params = randomParams(cfg, seed, kind);
  try {
    return fn(params);
  } finally {
    disposeTree(params);
  }
}

Deno.test("gammaThreshold is sorted(|gamma| of all layers)[floor(total * ratio)]", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbKind,
      arbRatio,
      (cfg, seed, kind, ratio) =>
        withModel(cfg, seed, kind, (params) => {
          const all = absPerLayer(params).flat().sort((a, b) => a - b);
          const result = gammaThreshold(params, ratio);
          assert.equal(result.total, all.length);
          assert.equal(result.index, Math.floor(all.length * ratio));
          assert.equal(result.threshold, all[result.index]);
          assert.deepEqual(Array.from(result.sorted), all);
        }),
    ),
    { numRuns: 60 },
  );
});

Deno.test("a ratio that is NaN, negative or >= 1 is a UsageError everywhere", async () => {
  await withModel([2, "M", "M", "M", "M"], 1, "distinct", async (params) => {
    for (const ratio of [NaN, -0.1, 1, 1.5, Infinity, -Infinity]) {
      assert.throws(() => validateRatio(ratio), UsageError);
      assert.throws(() => gammaThreshold(params, ratio), UsageError);
      assert.throws(() => prune(params, ratio), UsageError);
      assert.throws(() => pruneLayerCapped(params, ratio), UsageError);
      await assert.rejects(multiPassPrune(params, { passes: 1, ratio }), UsageError);
    }
    assert.throws(() => validateRatio("0.5"), UsageError);
    const message = (() => {
      try {
        gammaThreshold(params, 1.5);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    assert.ok(message && !message.includes("\n"), "one-line message");
  });
});

Deno.test("channelMasks keeps |gamma| > threshold, and the guard keeps the largest minChannels", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbKind,
      arbRatio,
      fc.integer({ min: 0, max: 5 }),
      (cfg, seed, kind, ratio, minChannels) =>
        withModel(cfg, seed, kind, (params) => {
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
  withModel(cfg, 2, "constant", (params) => {
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
  withModel([3, "M", "M", "M", "M"], 3, "distinct", (params) => {
    for (const minChannels of [-1, 1.5, NaN]) {
      assert.throws(() => channelMasks(params, 0.1, { minChannels }), UsageError);
      assert.throws(() => prune(params, 0.5, { minChannels }), UsageError);
    }
  });
});

Deno.test("a NaN gamma is a UsageError naming the layer", () => {
  withModel([3, "M", 2, "M", "M", "M"], 4, "distinct", (params) => {
    const bad = tf.tensor1d([0.1, NaN]);
    const broken = {
      ...params,
      features: [params.features[0], {
        ...params.features[1],
        bn: { ...params.features[1].bn, gamma: bad },
      }],
    };
    assert.throws(
      () => gammaThreshold(broken, 0.5),
      (e) => e instanceof UsageError && /layer 1/.test(e.message),
    );
    bad.dispose();
  });
});

Deno.test("gammaThreshold and channelMasks leave no tensors behind", () => {
  withModel([6, "M", 4, "M", "M", "M"], 5, "ties", (params) => {
    const before = tf.memory().numTensors;
    const { threshold } = gammaThreshold(params, 0.3);
    channelMasks(params, threshold);
    assert.equal(tf.memory().numTensors, before);
  });
});
