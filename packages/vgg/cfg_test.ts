import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import {
  cfgForDepth,
  type CfgItem,
  convChannels,
  parseCfg,
  scaleCfg,
  validateCfg,
  VGG_CFGS,
} from "./cfg.ts";
import { initVgg } from "./params.ts";
import { arbStagedCfg, REFERENCE_CFGS } from "./testing.ts";

await tf.setBackend("cpu");

Deno.test("cfg: depths 11/13/16/19 are the reference's, anything else is a UsageError", () => {
  for (const depth of [11, 13, 16, 19] as const) {
    assert.deepEqual([...cfgForDepth(depth)], REFERENCE_CFGS[depth], `depth ${depth}`);
    assert.deepEqual([...VGG_CFGS[depth]], REFERENCE_CFGS[depth]);
    assert.equal(validateCfg(cfgForDepth(depth)), cfgForDepth(depth));
    // Width 1/64 keeps the structure: every channel count divided by 64.
    const params = initVgg({ depth, width: 1 / 64, seed: 0 });
    assert.deepEqual(
      params.cfg,
      REFERENCE_CFGS[depth].map((v) => (v === "M" ? v : v / 64)),
    );
    assert.equal(params.features.length, convChannels(REFERENCE_CFGS[depth]).length);
    disposeTree(params);
  }
  // No depth and no cfg: VGG-19.
  const params = initVgg({ width: 1 / 64, seed: 0 });
  assert.deepEqual(params.cfg, REFERENCE_CFGS[19].map((v) => (v === "M" ? v : v / 64)));
  disposeTree(params);
  for (const depth of [0, 12, 18, 20, 19.5, NaN]) {
    assert.throws(() => cfgForDepth(depth), UsageError, `depth ${depth}`);
    assert.throws(() => initVgg({ depth, seed: 0 }), UsageError, `initVgg depth ${depth}`);
  }
});

Deno.test("cfg: scaleCfg rounds each width to the nearest integer, at least 1", () => {
  assert.deepEqual(scaleCfg([64, "M", 128, 256, 512], 0.3), [19, "M", 38, 77, 154]);
  assert.deepEqual(scaleCfg([64, "M", 1, 3], 0.5), [32, "M", 1, 2]);
  assert.deepEqual(scaleCfg([64, "M", 1], 0.001), [1, "M", 1]);
  assert.deepEqual(scaleCfg([64, 10], 2), [128, 20]);
  fc.assert(
    fc.property(arbStagedCfg, fc.double({ min: 0.001, max: 8, noNaN: true }), (cfg, width) => {
      const scaled = scaleCfg(cfg, width);
      assert.equal(scaled.length, cfg.length);
      scaled.forEach((v, i) => {
        const orig = cfg[i];
        if (orig === "M") return assert.equal(v, "M");
        assert.ok(typeof v === "number" && Number.isInteger(v) && v >= 1);
        assert.ok(v === 1 || Math.abs(v - orig * width) <= 0.5 + 1e-9, `${orig}*${width} -> ${v}`);
      });
      assert.doesNotThrow(() => validateCfg(scaled));
    }),
    { numRuns: 200 },
  );
  for (const width of [0, -1, NaN, Infinity]) {
    assert.throws(() => scaleCfg([64], width), UsageError, `width ${width}`);
  }
});

Deno.test("cfg: validateCfg rejects bad pool counts, a leading M and non-integers", () => {
  const good: CfgItem[] = [4, "M", 6, "M", 8, "M", 8, "M", 8];
  assert.deepEqual(validateCfg(good), good);
  assert.deepEqual(validateCfg([4, "M", 4, "M", 4, "M"], 16), [4, "M", 4, "M", 4, "M"]);
  const bad: Array<[unknown, RegExp]> = [
    [[4, "M", 6, "M", 8, "M", 8], /3 max-pools/],
    [[4, "M", 6, "M", 8, "M", 8, "M", 8, "M"], /5 max-pools/],
    [[4, 6, 8], /0 max-pools/],
    [["M", 4, "M", 6, "M", 8, "M", 8], /start with a conv/],
    [["M", "M", "M", "M"], /start with a conv/],
    [[4.5, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[0, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[-4, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [["4", "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[4, "m", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[4, null, 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[], /non-empty list/],
    ["4,M", /non-empty list/],
    [{ 0: 4 }, /non-empty list/],
  ];
  for (const [cfg, pattern] of bad) {
    assert.throws(() => validateCfg(cfg), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${JSON.stringify(cfg)}: ${error}`);
      assert.match(error.message, pattern, JSON.stringify(cfg));
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  assert.throws(() => initVgg({ cfg: [4, "M", 4], seed: 0 }), UsageError);
  // parseCfg: both spellings.
  assert.deepEqual(parseCfg(" 64, M,128 ,m"), [64, "M", 128, "M"]);
  assert.deepEqual(parseCfg('[64, "M", 128]'), [64, "M", 128]);
  assert.throws(() => parseCfg("64,x"), UsageError);
  assert.throws(() => parseCfg("64,1.5"), UsageError);
});
