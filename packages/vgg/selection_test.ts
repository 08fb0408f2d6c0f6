import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import { planPrune, pruneDecision } from "@slimming/slimming";
import { absGammas, prune, vggCounts } from "./mod.ts";
import { arbCfg, type GammaKind, randomParams } from "./testing.ts";

Deno.test("planPrune reports what prune does, from plain arrays", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.constantFrom<GammaKind>("distinct", "ties", "constant"),
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
      fc.nat(1000),
      (cfg, kind, ratio, minChannels, seed) => {
        const before = tf.memory().numTensors;
        const params = randomParams(cfg, seed, kind);
        let result;
        try {
          result = prune(params, ratio, { minChannels });
        } catch {
          disposeTree(params);
          return; // an emptied layer without the guard: prune refuses, nothing to compare
        }
        const plan = planPrune(cfg, absGammas(params), ratio, { minChannels, counts: vggCounts });
        disposeTree(params);
        disposeTree(result.params);
        assert.deepEqual(plan, result.report);
        assert.equal(tf.memory().numTensors, before);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("pruneDecision: the vggprune.py threshold and the min-channels guard", () => {
  const abs = [Float32Array.of(0.1, 0.2, 0.9), Float32Array.of(0.01, 0.02, 0.03, 0.04)];
  // sorted: .01 .02 .03 .04 .1 .2 .9; floor(7 * 0.5) = 3 -> threshold 0.04
  const d = pruneDecision(abs, 0.5, { minChannels: 2 });
  assert.ok(Math.abs(d.threshold - 0.04) < 1e-7);
  assert.deepEqual(d.masks[0], [true, true, true]);
  assert.deepEqual(d.masks[1], [false, false, true, true]);
  assert.deepEqual(d.kept, [3, 2]);
  assert.deepEqual(d.guardedLayers, [1]);
  assert.throws(() => pruneDecision(abs, 1), /ratio must be a number in \[0, 1\)/);
});
