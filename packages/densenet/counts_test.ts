import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { defaultDensenetCfg } from "./cfg.ts";
import { countDensenetFlops, countDensenetParams } from "./counts.ts";
import { initDensenet, selectedBns, trainableLeaves } from "./params.ts";
import { arbSpec } from "./testing.ts";

await tf.setBackend("cpu");

const D40 = { depth: 40, growthRate: 12, cfg: defaultDensenetCfg(40) };

Deno.test("countDensenetParams: DenseNet-40 has 1.06M trainables, 1.07M with select.indexes", () => {
  assert.equal(countDensenetParams(D40), 1_059_298);
  // The reference's printed count includes the select.indexes Parameters (one per BN channel).
  const bnChannels = D40.cfg.reduce((a, b) => a + b, 0);
  assert.equal(countDensenetParams(D40, 10, { withSelect: true }), 1_059_298 + bnChannels);
  assert.equal(Math.round(countDensenetParams(D40, 10, { withSelect: true }) / 1e4) / 100, 1.07);
  assert.equal(countDensenetParams(D40, 100) - countDensenetParams(D40), 90 * 457);
});

Deno.test("countDensenetParams equals the size of initDensenet's trainable tensors", () => {
  fc.assert(
    fc.property(arbSpec, fc.integer({ min: 1, max: 12 }), (spec, numClasses) => {
      const params = initDensenet({ ...spec, numClasses, seed: 1 });
      const size = trainableLeaves(params).reduce((s, [, t]) => s + t.size, 0);
      assert.equal(countDensenetParams(spec, numClasses), size);
      const select = selectedBns(params).reduce((s, u) => s + u.bn.gamma.size, 0);
      assert.equal(countDensenetParams(spec, numClasses, { withSelect: true }), size + select);
      disposeTree(params);
    }),
    { numRuns: 30 },
  );
});

Deno.test("countDensenetFlops: 2 x multiply-adds of every conv (at its resolution) and the fc", () => {
  fc.assert(
    fc.property(arbSpec, fc.integer({ min: 1, max: 12 }), (spec, numClasses) => {
      const params = initDensenet({ ...spec, numClasses, seed: 1 });
      // Independent count from the tensors' shapes: conv1 and block 1 at 32x32, block b at
      // 32 / 2^b, a transition at its block's resolution (it pools after the conv).
      const conv = (w: tf.Tensor4D, size: number) => size * size * w.size;
      let macs = conv(params.conv1.weight, 32);
      params.dense.forEach((block, b) => {
        for (const u of block) macs += conv(u.conv.weight, 32 / 2 ** b);
        if (b < 2) macs += conv(params.trans[b].conv.weight, 32 / 2 ** b);
      });
      macs += params.fc.weight.size;
      assert.equal(countDensenetFlops(spec, numClasses), 2 * macs);
      disposeTree(params);
    }),
    { numRuns: 30 },
  );
  // DenseNet-40: 2.83e8 multiply-adds.
  assert.equal(Math.round(countDensenetFlops(D40) / 1e6), 566);
});
