import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { defaultResnetCfg } from "./cfg.ts";
import { countResnetFlops, countResnetParams } from "./counts.ts";
import { initResnet, type ResnetParams, trainableLeaves } from "./params.ts";
import { arbResnetShape, randomResnetParams } from "./testing.ts";

await tf.setBackend("cpu");

/** Parameters counted from the tree: trainables plus one select index per BN channel. */
function treeParams(params: ResnetParams): number {
  const trainable = trainableLeaves(params).reduce((n, [, t]) => n + t.size, 0);
  const selections = params.blocks.reduce((n, b) => n + b.bn1.gamma.size, 0) + params.bn.gamma.size;
  return trainable + selections;
}

/** Multiply-adds counted from the tree's conv shapes and each conv's output size. */
function treeMacs(params: ResnetParams): number {
  const n = params.blocks.length / 3;
  const macsOf = (w: tf.Tensor4D, out: number) => out * out * w.size;
  let size = 32;
  let macs = macsOf(params.conv1, size);
  params.blocks.forEach((block, b) => {
    const stride = b >= n && b % n === 0 ? 2 : 1;
    const out = size / stride;
    macs += macsOf(block.conv1, size) + macsOf(block.conv2, out) + macsOf(block.conv3, out);
    if (block.downsample) macs += macsOf(block.downsample, out);
    size = out;
  });
  return macs + params.fc.weight.size;
}

Deno.test("countResnetParams: PyTorch's count of the reference model", () => {
  // sum(p.numel() for p in resnet(depth).parameters()) under PyTorch 1.13.
  assert.equal(countResnetParams(defaultResnetCfg(164), 164), 1711338);
  assert.equal(countResnetParams(defaultResnetCfg(20), 20), 220394);
  assert.equal(
    countResnetParams(defaultResnetCfg(164), 164, 100),
    1711338 + 256 * 90 + 90,
  );
});

Deno.test("countResnetFlops: ResNet-164 is about the paper's 4.99e8", () => {
  const flops = countResnetFlops(defaultResnetCfg(164), 164);
  assert.ok(Math.abs(flops / 4.99e8 - 1) < 0.01, `${flops}`);
});

Deno.test("counts equal what the parameter tree holds, for random (pruned-like) shapes", () => {
  fc.assert(
    fc.property(arbResnetShape(), fc.integer({ min: 1, max: 20 }), (shape, classes) => {
      const params = randomResnetParams(shape, 1, "distinct", classes);
      try {
        assert.equal(
          countResnetParams(shape.cfg, shape.depth, classes, shape.planes),
          treeParams(params),
        );
        assert.equal(
          countResnetFlops(shape.cfg, shape.depth, classes, shape.planes),
          2 * treeMacs(params),
        );
      } finally {
        disposeTree(params);
      }
    }),
    { numRuns: 30 },
  );
  const params = initResnet({ depth: 20, seed: 1 });
  assert.equal(treeParams(params), 220394);
  assert.equal(countResnetFlops(params.cfg, 20), 2 * treeMacs(params));
  disposeTree(params);
});
