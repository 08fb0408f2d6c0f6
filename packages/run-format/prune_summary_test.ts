import assert from "node:assert/strict";
import { pruneSummary } from "./prune_summary.ts";
import type { PruneCounts } from "./records.ts";

const COUNTS: PruneCounts & { total: number; pruned: number } = {
  threshold: 0.01,
  cfgBefore: [4, "M", 4],
  cfg: [2, "M", 3],
  kept: [2, 3],
  channelsBefore: [4, 4],
  guardedLayers: [0],
  paramsBefore: 100,
  paramsAfter: 60,
  flopsBefore: 1000,
  flopsAfter: 500,
  // A slimming PruneReport carries more; prune.json keeps none of it.
  total: 8,
  pruned: 3,
};

const MEASURES = {
  ratio: 0.4,
  minChannels: 2,
  testAccBefore: 90,
  maskedTestAcc: 89,
  slimTestAcc: 88.5,
  imagesPerSecondBefore: 100,
  imagesPerSecondAfter: 150,
  checkpoint: "run/best.safetensors",
};

Deno.test("pruneSummary: counts and measures, nothing else", () => {
  const summary = pruneSummary(COUNTS, MEASURES);
  assert.equal("total" in summary, false);
  assert.equal(summary.maskedTestAcc, 89);
  assert.deepEqual(summary.cfg, [2, "M", 3]);
  assert.equal(summary.paramsAfter, 60);
  assert.equal(summary.ratio, 0.4);
  assert.equal(Object.keys(summary).length, 18);
});

Deno.test("pruneSummary: an unmeasured masked accuracy is left out, not invented", () => {
  const { maskedTestAcc: _, ...unmeasured } = MEASURES;
  const summary = pruneSummary(COUNTS, unmeasured);
  assert.equal("maskedTestAcc" in summary, false);
  assert.equal(JSON.stringify(summary).includes("masked"), false);
});
