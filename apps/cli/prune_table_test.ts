import assert from "node:assert/strict";
import type { PruneSummary } from "@slimming/run-format";
import { formatMasked, pruneTable } from "./prune_table.ts";

const SUMMARY: PruneSummary = {
  ratio: 0.5,
  threshold: 0.0123456,
  minChannels: 2,
  cfgBefore: [4, "M", 4],
  cfg: [2, "M", 3],
  kept: [2, 3],
  channelsBefore: [4, 4],
  guardedLayers: [0],
  paramsBefore: 2_000_000,
  paramsAfter: 500_000,
  flopsBefore: 3e9,
  flopsAfter: 1.5e9,
  testAccBefore: 91.234,
  maskedTestAcc: 90.5,
  slimTestAcc: 90.25,
  imagesPerSecondBefore: 1000,
  imagesPerSecondAfter: 2500,
  checkpoint: "run/best.safetensors",
};

Deno.test("pruneTable: layers, guard, sizes, speed and the three accuracies", () => {
  const table = pruneTable(SUMMARY);
  assert.match(table, /^ratio 0\.5 {2}threshold \|gamma\| > 0\.01235 {2}min channels 2/);
  assert.match(table, /\n {4}1 {7}4 {5}2 {2}guarded \(threshold kept fewer than min channels\)/);
  assert.match(table, /params {11}2\.00M {7}500\.0k {3}\(75\.0% fewer\)/);
  assert.match(table, /FLOPs {12}3\.00G {8}1\.50G {3}\(50\.0% fewer\)/);
  assert.match(table, /\(x2\.50\)/);
  assert.match(table, /test accuracy: full 91\.23% {2}masked 90\.50% {2}slim 90\.25%$/);
});

Deno.test("a prune without a masked model says so instead of printing a number", () => {
  const { maskedTestAcc: _, ...multiPass } = SUMMARY;
  assert.equal(formatMasked(multiPass), "not measured");
  assert.match(pruneTable(multiPass), /masked not measured {2}slim 90\.25%$/);
});
