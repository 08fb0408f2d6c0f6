import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils";
import { validateRatio } from "@slimming/slimming";
import { gammaThreshold, multiPassPrune, prune, pruneLayerCapped } from "./mod.ts";
import { absPerLayer, arbCfg, arbGammaKind, arbRatio, withRandomParams } from "./testing.ts";

await tf.setBackend("cpu");

Deno.test("gammaThreshold is sorted(|gamma| of all layers)[floor(total * ratio)]", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbGammaKind,
      arbRatio,
      (cfg, seed, kind, ratio) =>
        withRandomParams(cfg, seed, kind, (params) => {
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
  await withRandomParams([2, "M", "M", "M", "M"], 1, "distinct", async (params) => {
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

Deno.test("a NaN gamma is a UsageError naming the layer", () => {
  withRandomParams([3, "M", 2, "M", "M", "M"], 4, "distinct", (params) => {
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
