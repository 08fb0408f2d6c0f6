import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils/core";
import { CLASS_COUNT, IMAGE_BYTES } from "./format.ts";
import { subsetBalanced, subsetIndices } from "./subset.ts";
import { syntheticCifar } from "./synthetic.ts";

const train = syntheticCifar({ trainPerClass: 30, testPerClass: 1, seed: 2 }).train;

function perClass(labels: Uint8Array): number[] {
  const counts = new Array(CLASS_COUNT).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

Deno.test("subsetBalanced takes n / 10 of each class, copying the records unchanged", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (k, seed) => {
      const n = 10 * k;
      const subset = subsetBalanced(train, n, seed);
      assert.equal(subset.count, n);
      assert.deepEqual(perClass(subset.labels), new Array(CLASS_COUNT).fill(k));
      const indices = subsetIndices(train.labels, n, seed);
      assert.equal(new Set(indices).size, n);
      indices.forEach((r, i) => {
        assert.equal(subset.labels[i], train.labels[r]);
        assert.deepEqual(
          subset.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
          train.images.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES),
        );
      });
    }),
    { numRuns: 40 },
  );
});

Deno.test("subsetBalanced is deterministic for the seed and changes with it", () => {
  assert.deepEqual(subsetIndices(train.labels, 50, 7), subsetIndices(train.labels, 50, 7));
  assert.notDeepEqual(subsetIndices(train.labels, 50, 7), subsetIndices(train.labels, 50, 8));
});

Deno.test("subsetBalanced refuses a size that is not a multiple of 10 or more than a class has", () => {
  for (const n of [0, 5, 15, -10, 2.5, NaN]) {
    assert.throws(() => subsetBalanced(train, n, 1), UsageError, `n = ${n}`);
  }
  assert.throws(
    () => subsetBalanced(train, 310, 1),
    (e) =>
      e instanceof UsageError && /31 images per class, but class 0 has only 30/.test(e.message),
  );
  assert.equal(subsetBalanced(train, 300, 1).count, 300);
});
