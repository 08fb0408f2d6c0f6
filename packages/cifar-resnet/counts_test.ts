import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { defaultCifarResnetSpec } from "./cfg.ts";
import { cifarResnetBlockShapes, countCifarResnetFlops, countCifarResnetParams } from "./counts.ts";
import {
  cifarResnetBatchNorms,
  type CifarResnetParams,
  cifarResnetTrainableLeaves,
  initCifarResnet,
} from "./params.ts";
import { arbCifarResnetSpec, randomCifarResnet } from "./testing.ts";

await tf.setBackend("cpu");

/** Parameters held by the tree's trainable tensors (PyTorch's `parameters()`). */
function treeParams(params: CifarResnetParams): number {
  return cifarResnetTrainableLeaves(params).reduce((n, [, t]) => n + t.size, 0);
}

/** Multiply-adds counted from the tree's conv shapes and each conv's output size. */
function treeMacs(params: CifarResnetParams): number {
  const n = params.residualBlocks.length / 3;
  const macsOf = (w: tf.Tensor4D, out: number) => out * out * w.size;
  let size = 32;
  let macs = macsOf(params.conv1, size);
  params.residualBlocks.forEach((block, b) => {
    const out = b >= n && b % n === 0 ? size / 2 : size;
    macs += macsOf(block.conv1, out) + macsOf(block.conv2, out);
    if (block.downsample) macs += macsOf(block.downsample.conv, out);
    size = out;
  });
  return macs + params.fc.weight.size;
}

Deno.test("countCifarResnetParams: ResNet-20/56/110 as PyTorch counts them", () => {
  // sum(p.numel() for p in model.parameters()) of tests/tools/cifar_resnet_ref.py's
  // CifarResNet(depth) under PyTorch 1.13 (projection shortcuts with BN).
  assert.equal(countCifarResnetParams(defaultCifarResnetSpec(20)), 272474);
  assert.equal(countCifarResnetParams(defaultCifarResnetSpec(56)), 855770);
  assert.equal(countCifarResnetParams(defaultCifarResnetSpec(110)), 1730714);
  assert.equal(countCifarResnetParams(defaultCifarResnetSpec(56), 100), 855770 + 90 * 65);
});

Deno.test("countCifarResnetFlops: ResNet-56 is 2 x 1.26e8 multiply-adds", () => {
  assert.equal(countCifarResnetFlops(defaultCifarResnetSpec(56)), 2 * 125747840);
});

Deno.test("cifarResnetBlockShapes: projections only where the shape changes", () => {
  const shapes = cifarResnetBlockShapes(defaultCifarResnetSpec(56));
  assert.deepEqual(
    shapes.flatMap((s, b) => (s.projection ? [b] : [])),
    [9, 18],
  );
  assert.deepEqual(shapes.map((s) => s.stride).filter((s) => s === 2).length, 2);
  assert.deepEqual(shapes[9], {
    inWidth: 16,
    inner: 32,
    outWidth: 32,
    stride: 2,
    projection: true,
  });
  // Stage widths that stay equal still get a projection at the stride-2 blocks.
  const flat = cifarResnetBlockShapes({ depth: 8, planes: [4, 4, 4], cfg: [1, 2, 3] });
  assert.deepEqual(flat.map((s) => s.projection), [false, true, true]);
});

Deno.test("counts equal what the parameter tree holds, for random (pruned-like) specs", () => {
  fc.assert(
    fc.property(arbCifarResnetSpec(), fc.integer({ min: 1, max: 20 }), (spec, classes) => {
      const params = randomCifarResnet(spec, 1, "distinct", classes);
      try {
        assert.equal(countCifarResnetParams(spec, classes), treeParams(params));
        assert.equal(countCifarResnetFlops(spec, classes), 2 * treeMacs(params));
      } finally {
        disposeTree(params);
      }
    }),
    { numRuns: 30 },
  );
  const params = initCifarResnet({ depth: 56, seed: 1 });
  assert.equal(treeParams(params), 855770);
  assert.equal(countCifarResnetFlops(params), 2 * treeMacs(params));
  assert.equal(cifarResnetBatchNorms(params).length, 1 + 2 * 27 + 2);
  disposeTree(params);
});
