import assert from "node:assert/strict";
import { UsageError } from "@slimming/tensor-utils/core";
import {
  cifarBlocksPerStage,
  cifarDepthOfCfg,
  cifarResnetBlockName,
  cifarResnetBnLabels,
  cifarResnetPlanes,
  defaultCifarResnetCfg,
  defaultCifarResnetSpec,
  validateCifarResnetDepth,
  validateCifarResnetSpec,
} from "./cfg.ts";

const oneLine = (re: RegExp) => (e: Error) =>
  e instanceof UsageError && re.test(e.message) && !e.message.includes("\n");

Deno.test("validateCifarResnetDepth: 6n+2 >= 8 only (20, 32, 44, 56, 110), one-line errors", () => {
  for (const depth of [8, 14, 20, 32, 44, 56, 110]) {
    assert.equal(validateCifarResnetDepth(depth), depth);
  }
  for (const depth of [2, 7, 9, 21, 55, 163, 56.5, -4, NaN, "56", undefined]) {
    assert.throws(() => validateCifarResnetDepth(depth), oneLine(/6n\+2/));
  }
  assert.equal(cifarBlocksPerStage(56), 9);
  assert.equal(cifarBlocksPerStage(110), 18);
  assert.equal(cifarBlocksPerStage(20), 3);
});

Deno.test("defaultCifarResnetSpec: ResNet-56 has 27 blocks at 16, 32, 64; width scales", () => {
  const spec = defaultCifarResnetSpec();
  assert.equal(spec.depth, 56);
  assert.deepEqual(spec.planes, [16, 32, 64]);
  assert.deepEqual(spec.cfg, [
    ...new Array(9).fill(16),
    ...new Array(9).fill(32),
    ...new Array(9).fill(64),
  ]);
  assert.deepEqual(defaultCifarResnetCfg(20, 0.5), [8, 8, 8, 16, 16, 16, 32, 32, 32]);
  assert.deepEqual(cifarResnetPlanes(0.01), [1, 1, 1]);
  assert.deepEqual(cifarResnetPlanes(1.5), [24, 48, 96]);
  assert.throws(() => cifarResnetPlanes(0), oneLine(/width/));
  assert.throws(() => cifarResnetPlanes(NaN), oneLine(/width/));
  assert.throws(() => defaultCifarResnetSpec(57), oneLine(/6n\+2/));
});

Deno.test("validateCifarResnetSpec: planes, cfg length and entries", () => {
  const spec = defaultCifarResnetSpec(20);
  assert.deepEqual(validateCifarResnetSpec(spec), spec);
  // Pruned (and wider) inner widths are fine: only the count and positivity are checked.
  const pruned = { ...spec, cfg: [1, 5, 16, 3, 32, 40, 2, 9, 64] };
  assert.deepEqual(validateCifarResnetSpec(pruned).cfg, pruned.cfg);
  const bad: Array<[unknown, RegExp]> = [
    [{ ...spec, cfg: spec.cfg.slice(1) }, /needs 9 entries \(one per block\), got 8/],
    [{ ...spec, cfg: "16" }, /needs 9 entries/],
    [{ ...spec, cfg: spec.cfg.map((v, i) => (i === 4 ? 0 : v)) }, /entry 4 \(layer2\.1\)/],
    [{ ...spec, cfg: spec.cfg.map((v, i) => (i === 8 ? 2.5 : v)) }, /entry 8 \(layer3\.2\)/],
    [{ ...spec, planes: [16, 32] }, /planes must be 3 positive integers/],
    [{ ...spec, planes: [16, 0, 64] }, /planes must be 3 positive integers/],
    [{ ...spec, depth: 21 }, /6n\+2/],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => validateCifarResnetSpec(value as Parameters<typeof validateCifarResnetSpec>[0]),
      oneLine(message),
    );
  }
});

Deno.test("block names, BN labels and the depth of a cfg", () => {
  assert.equal(cifarResnetBlockName(56, 0), "layer1.0");
  assert.equal(cifarResnetBlockName(56, 9), "layer2.0");
  assert.equal(cifarResnetBlockName(56, 26), "layer3.8");
  assert.deepEqual(cifarResnetBnLabels(8), ["layer1.0.bn1", "layer2.0.bn1", "layer3.0.bn1"]);
  assert.equal(cifarResnetBnLabels(56).length, 27);
  assert.equal(cifarDepthOfCfg(defaultCifarResnetCfg(56)), 56);
  assert.equal(cifarDepthOfCfg(defaultCifarResnetCfg(110)), 110);
  assert.throws(() => cifarDepthOfCfg([1, 2]), UsageError);
  assert.throws(() => cifarDepthOfCfg([]), UsageError);
});
