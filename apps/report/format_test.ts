import assert from "node:assert/strict";
import {
  formatCount,
  formatDuration,
  formatLambda,
  formatRatio,
  formatSignificant,
} from "./format.ts";

Deno.test("formatting of λ, ratios, counts, durations", () => {
  assert.equal(formatLambda(0), "0");
  assert.equal(formatLambda(1e-4), "1e-4");
  assert.equal(formatLambda(5e-5), "5e-5");
  assert.equal(formatLambda(0.5), "0.5");
  assert.equal(formatLambda(undefined), "—");
  assert.equal(formatRatio(0.9), "90%");
  assert.equal(formatCount(20_040_000), "20.04 M");
  assert.equal(formatCount(315_600), "315.6 k");
  assert.equal(formatCount(1376), "1,376");
  assert.equal(formatSignificant(0.004213), "0.00421");
  assert.equal(formatSignificant(NaN), "—");
  assert.equal(formatDuration(4.2), "4.2 s");
  assert.equal(formatDuration(65), "1 min 05 s");
  assert.equal(formatDuration(3725), "1 h 02 min");
});
