import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils/core";
import { CLASS_COUNT, IMAGE_BYTES } from "./format.ts";
import { subsetBalanced, subsetIndices } from "./subset.ts";
import { syntheticCifar } from "./synthetic.ts";
import { CIFAR100_SPEC } from "./spec.ts";

const train = syntheticCifar({ trainPerClass: 30, testPerClass: 1, seed: 2 }).train;

function perClass(labels: Uint8Array, classes = CLASS_COUNT): number[] {
  const counts = new Array(classes).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

Deno.test("subsetBalanced takes n / 10 of each class, copying the records unchanged", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (k, seed) => {
      const n = 10 * k;
      const subset = subsetBalanced(train, n, seed, CLASS_COUNT);
      assert.equal(subset.count, n);
      assert.deepEqual(perClass(subset.labels), new Array(CLASS_COUNT).fill(k));
      const indices = subsetIndices(train.labels, n, seed, CLASS_COUNT);
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
  assert.deepEqual(subsetIndices(train.labels, 50, 7, 10), subsetIndices(train.labels, 50, 7, 10));
  assert.notDeepEqual(
    subsetIndices(train.labels, 50, 7, 10),
    subsetIndices(train.labels, 50, 8, 10),
  );
});

Deno.test("subsetBalanced refuses a size that is not a multiple of 10 or more than a class has", () => {
  for (const n of [0, 5, 15, -10, 2.5, NaN]) {
    assert.throws(() => subsetBalanced(train, n, 1, 10), UsageError, `n = ${n}`);
  }
  assert.throws(
    () => subsetBalanced(train, 310, 1, 10),
    (e) =>
      e instanceof UsageError && /31 images per class, but class 0 has only 30/.test(e.message),
  );
  assert.equal(subsetBalanced(train, 300, 1, 10).count, 300);
});

const train100 = syntheticCifar({ trainPerClass: 3, testPerClass: 1, seed: 4, spec: CIFAR100_SPEC })
  .train;

Deno.test("subsetBalanced over 100 classes takes n / 100 of each and keeps the coarse labels", () => {
  for (const k of [1, 2, 3]) {
    const subset = subsetBalanced(train100, 100 * k, 9, 100);
    assert.equal(subset.count, 100 * k);
    assert.deepEqual(perClass(subset.labels, 100), new Array(100).fill(k));
    const indices = subsetIndices(train100.labels, 100 * k, 9, 100);
    indices.forEach((r, i) => assert.equal(subset.coarseLabels![i], train100.coarseLabels![r]));
  }
  for (const n of [10, 50, 150]) {
    assert.throws(
      () => subsetBalanced(train100, n, 1, 100),
      (e) => e instanceof UsageError && /multiple of 100/.test(e.message),
      `n = ${n}`,
    );
  }
  assert.throws(
    () => subsetBalanced(train100, 400, 1, 100),
    (e) => e instanceof UsageError && /4 images per class, but class 0 has only 3/.test(e.message),
  );
});
