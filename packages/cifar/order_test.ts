import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "@slimming/tensor-utils/core";
import { batchesOf, epochOrder } from "./order.ts";

Deno.test("epochOrder is a permutation, the same for the same seed and epoch, new for another", () => {
  const a = epochOrder(1000, 42, 3);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(epochOrder(1000, 42, 3), a);
  assert.notDeepEqual(epochOrder(1000, 42, 4), a);
  assert.notDeepEqual(epochOrder(1000, 43, 3), a);
});

Deno.test("batchesOf cuts an order into full batches and keeps the last partial one", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 70 }), (n, size) => {
      const order = Int32Array.from({ length: n }, (_, i) => (i * 37) % 1000);
      const batches = batchesOf(order, size);
      assert.equal(batches.length, Math.ceil(n / size));
      assert.ok(batches.slice(0, -1).every((b) => b.length === size));
      if (n > 0) assert.equal(batches.at(-1)!.length, n - size * (batches.length - 1));
      assert.deepEqual(batches.flatMap((b) => [...b]), [...order]);
    }),
  );
  assert.throws(() => batchesOf(new Int32Array(5), 0), UsageError);
  assert.throws(() => batchesOf(new Int32Array(5), 2.5), UsageError);
});
