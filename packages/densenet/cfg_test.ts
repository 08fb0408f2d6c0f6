import assert from "node:assert/strict";
import { UsageError } from "@slimming/tensor-utils/core";
import {
  defaultDensenetCfg,
  denseLayersPerBlock,
  densenetBnLabels,
  densenetBnWidths,
  densenetGrowth,
  validateDensenetSpec,
} from "./cfg.ts";

/** The reference's default cfg (models/densenet.py), written out as its nested loop. */
function referenceCfg(depth: number, growthRate: number): number[] {
  const n = (depth - 4) / 3;
  const cfg: number[][] = [];
  let start = growthRate * 2;
  for (let b = 0; b < 3; b++) {
    cfg.push(Array.from({ length: n + 1 }, (_, i) => start + growthRate * i));
    start += growthRate * n;
  }
  return cfg.flat();
}

function assertUsageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("defaultDensenetCfg: the reference's flat cfg (DenseNet-40: 39 entries, 24..456)", () => {
  const cfg = defaultDensenetCfg(40);
  assert.equal(cfg.length, 39);
  assert.equal(cfg[0], 24);
  assert.equal(cfg[12], 168); // trans1 sees 24 + 12 * 12
  assert.equal(cfg[38], 456);
  assert.deepEqual(cfg, referenceCfg(40, 12));
  for (const [depth, g] of [[7, 1], [10, 4], [13, 12], [16, 6], [100, 24]]) {
    assert.deepEqual(defaultDensenetCfg(depth, g), referenceCfg(depth, g));
    assert.deepEqual(densenetBnWidths(depth, g), referenceCfg(depth, g));
  }
});

Deno.test("width scales the growth rate (rounded, at least 1), which sets every width", () => {
  assert.equal(densenetGrowth(12, 0.5), 6);
  assert.equal(densenetGrowth(12, 0.3), 4);
  assert.equal(densenetGrowth(12, 0.01), 1);
  assert.deepEqual(defaultDensenetCfg(10, 12, 0.25), referenceCfg(10, 3));
  assertUsageError(() => densenetGrowth(12, 0), /width must be a positive number, got 0/);
  assertUsageError(() => densenetGrowth(12, NaN), /width/);
  assertUsageError(() => densenetGrowth(1.5), /growth rate must be a positive integer/);
});

Deno.test("depth must be 3n+4 with n >= 1", () => {
  assert.equal(denseLayersPerBlock(40), 12);
  assert.equal(denseLayersPerBlock(7), 1);
  for (const bad of [4, 5, 8, 41, 0, -2, 10.5, NaN]) {
    assertUsageError(() => denseLayersPerBlock(bad), /DenseNet depth must be 3n\+4/);
  }
});

Deno.test("validateDensenetSpec: length and per-entry range, one-line UsageErrors", () => {
  const cfg = defaultDensenetCfg(10, 4);
  assert.doesNotThrow(() => validateDensenetSpec({ depth: 10, growthRate: 4, cfg }));
  const pruned = cfg.map((v) => Math.max(1, v - 3));
  assert.doesNotThrow(() => validateDensenetSpec({ depth: 10, growthRate: 4, cfg: pruned }));
  assertUsageError(
    () => validateDensenetSpec({ depth: 10, growthRate: 4, cfg: cfg.slice(1) }),
    /needs 9 entries, got 8/,
  );
  const tooWide = [...cfg];
  tooWide[3] += 1;
  assertUsageError(
    () => validateDensenetSpec({ depth: 10, growthRate: 4, cfg: tooWide }),
    /entry 3 \(d2_1\) must be an integer in \[1, 16\], got 17/,
  );
  const zero = [...cfg];
  zero[8] = 0;
  assertUsageError(
    () => validateDensenetSpec({ depth: 10, growthRate: 4, cfg: zero }),
    /entry 8 \(final\)/,
  );
});

Deno.test("densenetBnLabels: one short label per BN, forward order", () => {
  assert.deepEqual(densenetBnLabels(10), [
    "d1_1",
    "d1_2",
    "t1",
    "d2_1",
    "d2_2",
    "t2",
    "d3_1",
    "d3_2",
    "final",
  ]);
  assert.equal(densenetBnLabels(40).length, 39);
});
