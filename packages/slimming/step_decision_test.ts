import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils";
import { cappedMasks } from "./layer_cap.ts";
import { roundKeptUp } from "./round_to.ts";
import { pruneDecision } from "./selection.ts";
import { stepDecision } from "./step_decision.ts";

const arbAbs = fc.array(
  fc.integer({ min: 1, max: 24 }).chain((n) =>
    fc.array(fc.float({ min: 0, max: 2, noNaN: true }), { minLength: n, maxLength: n })
  ),
  { minLength: 1, maxLength: 6 },
).map((layers) => layers.map((l) => Float32Array.from(l)));
const arbRatio = fc.double({ min: 0, max: 0.99, noNaN: true });

Deno.test("stepDecision: pruneDecision alone, with the cap cappedMasks, then roundKeptUp", () => {
  fc.assert(
    fc.property(
      arbAbs,
      arbRatio,
      fc.integer({ min: 0, max: 3 }),
      fc.option(fc.constantFrom(0.25, 0.5, 1), { nil: undefined }),
      fc.integer({ min: 1, max: 8 }),
      (abs, ratio, minChannels, maxLayerRatio, roundTo) => {
        const plain = stepDecision(abs, ratio, { minChannels });
        assert.deepEqual(plain, pruneDecision(abs, ratio, { minChannels }));
        const step = stepDecision(abs, ratio, { minChannels, maxLayerRatio, roundTo });
        const base = maxLayerRatio === undefined
          ? pruneDecision(abs, ratio, { minChannels })
          : cappedMasks(abs, ratio, { minChannels, maxLayerRatio });
        assert.equal(step.threshold, base.threshold);
        assert.deepEqual(step.guardedLayers, base.guardedLayers);
        if (maxLayerRatio === undefined) assert.equal(step.cap, undefined);
        else assert.equal(step.cap?.maxLayerRatio, maxLayerRatio);
        const rounded = roundKeptUp(abs, base.masks, roundTo);
        assert.deepEqual(step.masks, rounded.masks);
        assert.deepEqual(step.kept, rounded.keptAfter);
        assert.deepEqual(step.keptBeforeRounding, roundTo > 1 ? base.kept : undefined);
      },
    ),
  );
});

Deno.test("stepDecision: a bad roundTo, ratio or cap is a UsageError", () => {
  const abs = [Float32Array.from([0.1, 0.5, 0.3])];
  for (const roundTo of [0, -1, 1.5]) {
    assert.throws(() => stepDecision(abs, 0.5, { roundTo }), UsageError);
  }
  assert.throws(() => stepDecision(abs, 1), UsageError);
  assert.throws(() => stepDecision(abs, 0.5, { maxLayerRatio: 2 }), UsageError);
  assert.deepEqual(stepDecision(abs, 0.5, { roundTo: 2 }).kept, [2]);
});
