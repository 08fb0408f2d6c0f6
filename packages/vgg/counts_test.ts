import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { type Cfg, VGG_CFGS } from "./cfg.ts";
import { countFlops, countParams } from "./counts.ts";
import { initVgg, trainableLeaves } from "./params.ts";
import { arbStagedCfg, REFERENCE_CFGS } from "./testing.ts";

await tf.setBackend("cpu");

/** Trainable parameters computed from the layer list: 9*in*out + 2*out per conv + linear. */
function independentParams(cfg: Cfg, numClasses = 10): number {
  const convs = cfg.filter((v): v is number => typeof v === "number");
  const ins = [3, ...convs.slice(0, -1)];
  const conv = convs.reduce((s, out, i) => s + 9 * ins[i] * out + 2 * out, 0);
  const last = convs[convs.length - 1];
  return conv + last * numClasses + numClasses;
}

Deno.test("countParams: VGG-19 has 20.04M trainable parameters, as in the paper", () => {
  const n = countParams(VGG_CFGS[19]);
  assert.equal(n, independentParams(REFERENCE_CFGS[19]));
  // The paper's Table 1 gives 20.04M for the CIFAR VGGNet (bias-free convs, BN, one linear).
  assert.equal(Math.round(n / 1e4) / 100, 20.04);
  assert.equal(countParams(VGG_CFGS[19], 100), independentParams(REFERENCE_CFGS[19], 100));
  for (const depth of [11, 13, 16] as const) {
    assert.equal(countParams(VGG_CFGS[depth]), independentParams(REFERENCE_CFGS[depth]));
  }
});

Deno.test("countParams equals the size of initVgg's trainable tensors", () => {
  fc.assert(
    fc.property(arbStagedCfg, fc.integer({ min: 1, max: 12 }), (cfg, numClasses) => {
      const params = initVgg({ cfg, numClasses, seed: 1 });
      const size = trainableLeaves(params).reduce((s, [, t]) => s + t.size, 0);
      assert.equal(countParams(cfg, numClasses), size);
      assert.equal(countParams(cfg, numClasses), independentParams(cfg, numClasses));
      disposeTree(params);
    }),
    { numRuns: 50 },
  );
});

Deno.test("countFlops: VGG-19 is ~7.97e8 FLOPs (2 x multiply-adds of conv and linear)", () => {
  const flops = countFlops(VGG_CFGS[19]);
  assert.ok(Math.abs(flops / 7.97e8 - 1) < 0.005, `${flops}`);
  // By hand: [4, M, 8] on 4x4 with 3 classes: 4*4*9*3*4 + 2*2*9*4*8 + 8*3 multiply-adds.
  assert.equal(countFlops([4, "M", 8], 3, 4), 2 * (1728 + 1152 + 24));
  // Pools alone cost nothing; halving the image quarters the conv part.
  assert.equal(countFlops([4, "M", "M"], 1, 8) - 2 * 4, 2 * 8 * 8 * 9 * 3 * 4);
  assert.equal(
    countFlops(VGG_CFGS[19], 0, 16) * 4,
    countFlops(VGG_CFGS[19], 0, 32),
  );
});
