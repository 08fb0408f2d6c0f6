import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { roundedCount, roundKeptUp, validateRoundTo } from "@slimming/slimming";
import { prune, pruneRounded } from "./mod.ts";
import { randomParams } from "./testing.ts";

const layer = fc.integer({ min: 1, max: 40 }).chain((width) =>
  fc.record({
    abs: fc.array(fc.float({ min: 0, max: 2, noNaN: true }), {
      minLength: width,
      maxLength: width,
    }),
    mask: fc.array(fc.boolean(), { minLength: width, maxLength: width }),
  })
);
const layers = fc.array(layer, { minLength: 1, maxLength: 6 });

Deno.test("roundKeptUp: multiples of N (or the width), a superset, fewer than N added", () => {
  fc.assert(
    fc.property(layers, fc.integer({ min: 1, max: 16 }), (ls, n) => {
      const abs = ls.map((l) => Float32Array.from(l.abs));
      const masks = ls.map((l) => l.mask);
      const { masks: out, keptBefore, keptAfter } = roundKeptUp(abs, masks, n);
      out.forEach((mask, i) => {
        const width = mask.length;
        const before = keptBefore[i];
        const after = keptAfter[i];
        assert.equal(before, masks[i].filter(Boolean).length);
        assert.equal(after, mask.filter(Boolean).length);
        assert.ok(after % n === 0 || after === width, `layer ${i}: ${after} of ${width}, N ${n}`);
        assert.ok(after >= before && after <= width && after - before < n);
        assert.equal(after, roundedCount(before, width, n));
        masks[i].forEach((keep, c) => assert.ok(!keep || mask[c], "a kept channel was dropped"));
      });
    }),
  );
});

Deno.test("roundKeptUp: the added channels are the largest |gamma| of those dropped", () => {
  fc.assert(
    fc.property(layers, fc.integer({ min: 2, max: 8 }), (ls, n) => {
      const abs = ls.map((l) => Float32Array.from(l.abs));
      const masks = ls.map((l) => l.mask);
      const { masks: out } = roundKeptUp(abs, masks, n);
      out.forEach((mask, i) => {
        const added = mask.flatMap((keep, c) => (keep && !masks[i][c] ? [abs[i][c]] : []));
        const left = mask.flatMap((keep, c) => (keep ? [] : [abs[i][c]]));
        if (added.length && left.length) assert.ok(Math.min(...added) >= Math.max(...left));
      });
    }),
  );
});

Deno.test("roundKeptUp: N = 1 changes nothing; inputs are not modified", () => {
  const abs = [Float32Array.from([0.1, 0.9, 0.5, 0.3, 0.7])];
  const masks = [[false, true, false, false, false]];
  assert.deepEqual(roundKeptUp(abs, masks, 1).masks, masks);
  const { masks: out, keptAfter } = roundKeptUp(abs, masks, 3);
  assert.deepEqual(out, [[false, true, false, false, true].map((v, c) => v || c === 2)]);
  assert.deepEqual(keptAfter, [3]);
  assert.deepEqual(masks, [[false, true, false, false, false]]);
  assert.deepEqual(roundKeptUp(abs, masks, 8).keptAfter, [5], "never above the width");
});

Deno.test("validateRoundTo: positive integers only", () => {
  for (const bad of [0, -8, 2.5, NaN, "8"]) assert.throws(() => validateRoundTo(bad), UsageError);
  assert.equal(validateRoundTo(8), 8);
});

Deno.test("pruneRounded: a 90% pruned model with every layer a multiple of 8 (or its width)", () => {
  const cfg = [16, "M", 32, "M", 64, 64, "M", 128, 128, "M", 128, 128] as const;
  const params = randomParams([...cfg], 4);
  const before = tf.memory().numTensors;
  const plain = prune(params, 0.9);
  const rounded = pruneRounded(params, 0.9, { roundTo: 8 });
  assert.deepEqual(rounded.keptBeforeRounding, plain.report.kept);
  rounded.report.kept.forEach((kept, i) => {
    assert.ok(kept % 8 === 0 || kept === rounded.report.channelsBefore[i], `layer ${i}: ${kept}`);
    assert.ok(kept >= plain.report.kept[i]);
  });
  assert.ok(rounded.report.kept.some((k, i) => k > plain.report.kept[i]), "nothing was rounded");
  assert.deepEqual(rounded.cfg, rounded.params.cfg);
  disposeTree(plain.params);
  disposeTree(rounded.params);
  assert.equal(tf.memory().numTensors, before);
  disposeTree(params);
});
