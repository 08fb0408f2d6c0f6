import assert from "node:assert/strict";
import { UsageError } from "@slimming/tensor-utils/core";
import {
  blocksPerStage,
  bnWidths,
  defaultResnetCfg,
  depthOfCfg,
  resnetBnNames,
  resnetPlanes,
  validateResnetCfg,
  validateResnetDepth,
} from "./cfg.ts";

/** models/preresnet.py's default cfg, written out as the reference builds it. */
function referenceCfg(depth: number): number[] {
  const n = (depth - 2) / 9;
  const rep = (xs: number[], k: number) => Array.from({ length: k }, () => xs).flat();
  return [
    ...[16, 16, 16],
    ...rep([64, 16, 16], n - 1),
    ...[64, 32, 32],
    ...rep([128, 32, 32], n - 1),
    ...[128, 64, 64],
    ...rep([256, 64, 64], n - 1),
    256,
  ];
}

Deno.test("defaultResnetCfg: the reference's cfg at width 1 for depths 11, 20, 164", () => {
  for (const depth of [11, 20, 164]) assert.deepEqual(defaultResnetCfg(depth), referenceCfg(depth));
  assert.equal(defaultResnetCfg(164).length, 163);
});

Deno.test("defaultResnetCfg: width scales every count, rounded, at least 1", () => {
  assert.deepEqual(defaultResnetCfg(11, 0.5), [8, 8, 8, 32, 16, 16, 64, 32, 32, 128]);
  assert.deepEqual(resnetPlanes(0.01), [1, 1, 1]);
  assert.deepEqual(defaultResnetCfg(11, 0.01), [1, 1, 1, 4, 1, 1, 4, 1, 1, 4]);
  assert.deepEqual(resnetPlanes(1.5), [24, 48, 96]);
  assert.throws(() => defaultResnetCfg(11, 0), UsageError);
  assert.throws(() => defaultResnetCfg(11, NaN), UsageError);
});

Deno.test("validateResnetDepth: 9n+2 >= 11 only, one-line UsageErrors", () => {
  for (const depth of [11, 20, 29, 164]) assert.equal(validateResnetDepth(depth), depth);
  for (const depth of [2, 10, 12, 19, 165, 20.5, -7, NaN, "20", undefined]) {
    assert.throws(() => validateResnetDepth(depth), (e: Error) => {
      return e instanceof UsageError && !e.message.includes("\n") && e.message.includes("9n+2");
    });
  }
  assert.equal(blocksPerStage(164), 18);
  assert.equal(blocksPerStage(11), 1);
});

Deno.test("validateResnetCfg: length, entries and selection widths", () => {
  const cfg = defaultResnetCfg(20);
  assert.deepEqual(validateResnetCfg(cfg, 20), cfg);
  const pruned = cfg.map((v) => Math.max(1, v - 3));
  assert.deepEqual(validateResnetCfg(pruned, 20), pruned);
  const bad: Array<[unknown, RegExp]> = [
    [cfg.slice(1), /needs 19 entries/],
    [[...cfg, 4], /needs 19 entries/],
    ["16,16", /must be a list/],
    [cfg.map((v, i) => (i === 4 ? 0 : v)), /positive integers/],
    [cfg.map((v, i) => (i === 4 ? 2.5 : v)), /positive integers/],
    [cfg.map((v, i) => (i === 3 ? 65 : v)), /entry 3 \(layer1\.1\.bn1\) selects 65 of 64/],
    [cfg.map((v, i) => (i === 18 ? 257 : v)), /entry 18 \(bn\) selects 257 of 256/],
  ];
  for (const [value, message] of bad) {
    assert.throws(() => validateResnetCfg(value, 20), (e: Error) => {
      return e instanceof UsageError && message.test(e.message) && !e.message.includes("\n");
    });
  }
  // A wider inner layer is fine: only selections are bounded by their tensor.
  assert.ok(validateResnetCfg(cfg.map((v, i) => (i === 1 ? 99 : v)), 20));
});

Deno.test("resnetBnNames and bnWidths: one per BN, in the reference's module order", () => {
  assert.deepEqual(resnetBnNames(11), [
    "layer1.0.bn1",
    "layer1.0.bn2",
    "layer1.0.bn3",
    "layer2.0.bn1",
    "layer2.0.bn2",
    "layer2.0.bn3",
    "layer3.0.bn1",
    "layer3.0.bn2",
    "layer3.0.bn3",
    "bn",
  ]);
  assert.equal(resnetBnNames(164).length, 163);
  assert.equal(resnetBnNames(20)[3], "layer1.1.bn1");
  const pruned = [5, 7, 9, 11, 13, 15, 17, 19, 21, 23];
  assert.deepEqual(bnWidths(pruned, 11, [16, 32, 64]), [16, 7, 9, 64, 13, 15, 128, 19, 21, 256]);
});

Deno.test("depthOfCfg: 9n+1 entries belong to depth 9n+2", () => {
  assert.equal(depthOfCfg(defaultResnetCfg(164)), 164);
  assert.equal(depthOfCfg(defaultResnetCfg(11)), 11);
  assert.throws(() => depthOfCfg([1, 2, 3]), UsageError);
  assert.throws(() => depthOfCfg(new Array(11).fill(1)), UsageError);
});
