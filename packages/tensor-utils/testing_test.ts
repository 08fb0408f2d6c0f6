import assert from "node:assert/strict";
import { gammaValues, maxAbsDiff } from "./testing.ts";

Deno.test("gammaValues: distinct draws are distinct in magnitude, a fifth near zero", () => {
  const layers = gammaValues([5, 7, 8], "distinct", 3);
  assert.deepEqual(layers.map((l) => l.length), [5, 7, 8]);
  const abs = layers.flatMap((l) => Array.from(l, Math.abs));
  assert.equal(new Set(abs).size, abs.length);
  assert.equal(abs.filter((v) => v < 0.01).length, 4);
  assert.deepEqual(gammaValues([5, 7, 8], "distinct", 3), layers, "seeded");
});

Deno.test("gammaValues: ties come from four magnitudes, constant is 0.5", () => {
  const ties = gammaValues([50], "ties", 1)[0];
  const allowed = new Set([0, 1e-3, 0.3, 0.5].map(Math.fround));
  assert.ok(Array.from(ties).every((v) => allowed.has(Math.abs(v))));
  assert.ok(Array.from(ties).some((v) => v < 0) && Array.from(ties).some((v) => v > 0));
  assert.ok(Array.from(gammaValues([4], "constant", 1)[0]).every((v) => v === 0.5));
});

Deno.test("maxAbsDiff", () => {
  assert.equal(maxAbsDiff([1, 2], [1, 2.5]), 0.5);
  assert.equal(maxAbsDiff([1], [1, 2]), Infinity);
});
