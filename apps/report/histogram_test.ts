import assert from "node:assert/strict";
import fc from "fast-check";
import { countBelow, histogram, maximum, median } from "./histogram.ts";

Deno.test("histogram: every value lands in the bin that holds it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -2, max: 3, noNaN: true }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 50 }),
      (values, bins) => {
        const result = histogram(values, 0, 1, bins);
        assert.equal(result.length, bins);
        assert.equal(result.reduce((n, b) => n + b.count, 0), values.length);
        assert.equal(result[0].x0, 0);
        assert.equal(result.at(-1)!.x1, 1);
        for (const [k, bin] of result.entries()) {
          const inside = values.filter((v) =>
            (k === 0 ? true : v >= bin.x0) && (k === bins - 1 ? true : v < bin.x1)
          ).length;
          assert.equal(bin.count, inside, `bin ${k}`);
        }
      },
    ),
  );
  assert.deepEqual(histogram([0, 0.5, 1, NaN], 0, 1, 2).map((b) => b.count), [1, 2]);
});

Deno.test("median, maximum and countBelow", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(maximum([0.2, NaN, 0.7, 0.1]), 0.7);
  assert.equal(countBelow([0.001, 0.01, 0.5], 0.01), 1);
});
