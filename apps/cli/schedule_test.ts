import assert from "node:assert/strict";
import { learningRate, lrSteps } from "./schedule.ts";

Deno.test("lrSteps: a tenth at 50% and 75% of the epochs (rounded up)", () => {
  assert.deepEqual(lrSteps(160), [80, 120]);
  assert.deepEqual(lrSteps(12), [6, 9]);
  assert.deepEqual(lrSteps(3), [2, 3]);
});

Deno.test("learningRate: divided by 10 from each step on", () => {
  const steps = lrSteps(8);
  assert.deepEqual(
    Array.from({ length: 8 }, (_, e) => learningRate(0.1, e, steps)),
    [0.1, 0.1, 0.1, 0.1, 0.1 / 10, 0.1 / 10, 0.1 / 100, 0.1 / 100],
  );
});
