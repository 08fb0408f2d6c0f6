import assert from "node:assert/strict";
import { niceUpperBound } from "./build_figures.ts";

Deno.test("niceUpperBound rounds an axis maximum up to a round number", () => {
  assert.equal(niceUpperBound(0.791), 0.8);
  assert.equal(niceUpperBound(1.01), 1.1);
});
