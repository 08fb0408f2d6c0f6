import assert from "node:assert/strict";
import { CLASS_COUNT, IMAGE_BYTES } from "./format.ts";
import { syntheticCifar } from "./synthetic.ts";
import { CIFAR100_SPEC } from "./spec.ts";

/** Mean R, G, B of each image, and its mean horizontal and vertical pixel differences. */
function features(images: Uint8Array, i: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    let sum = 0, dx = 0, dy = 0;
    const base = i * IMAGE_BYTES + c * 1024;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const v = images[base + y * 32 + x];
        sum += v;
        if (x > 0) dx += Math.abs(v - images[base + y * 32 + x - 1]);
        if (y > 0) dy += Math.abs(v - images[base + (y - 1) * 32 + x]);
      }
    }
    out.push(sum / 1024, dx / 992, dy / 992);
  }
  return out;
}

/** Accuracy of the nearest class mean of `features` on the test split. */
function nearestMeanAccuracy(
  { train, test }: ReturnType<typeof syntheticCifar>,
  classes: number,
): number {
  const sums = Array.from({ length: classes }, () => new Array(9).fill(0));
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < train.count; i++) {
    counts[train.labels[i]]++;
    features(train.images, i).forEach((v, k) => (sums[train.labels[i]][k] += v));
  }
  const means = sums.map((m, c) => m.map((v) => v / counts[c]));
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    const f = features(test.images, i);
    const distances = means.map((m) => m.reduce((d, v, k) => d + (v - f[k]) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === test.labels[i]) correct++;
  }
  return correct / test.count;
}

Deno.test("synthetic classes are learnable: nearest class mean of simple features beats chance by far", () => {
  const data = syntheticCifar({ trainPerClass: 40, testPerClass: 20, seed: 6 });
  const accuracy = nearestMeanAccuracy(data, CLASS_COUNT);
  assert.ok(accuracy > 0.8, `accuracy ${accuracy}`);
});

Deno.test("synthetic CIFAR-100: 100 classes with coarse labels, learnable far above the 1% chance", () => {
  const data = syntheticCifar({ trainPerClass: 8, testPerClass: 4, seed: 6, spec: CIFAR100_SPEC });
  assert.equal(data.train.count, 800);
  assert.equal(new Set(data.train.labels).size, 100);
  data.train.labels.forEach((label, i) => {
    assert.equal(data.train.coarseLabels![i], Math.floor(label / 5));
  });
  const accuracy = nearestMeanAccuracy(data, 100);
  assert.ok(accuracy > 0.3, `accuracy ${accuracy}`);
});

Deno.test("synthetic images are not trivial: pixels vary within an image and between images of a class", () => {
  const { train } = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 6 });
  const first = train.images.subarray(0, IMAGE_BYTES);
  assert.ok(new Set(first).size > 50);
  const label = train.labels[0];
  const other = [...train.labels].findIndex((l, i) => i > 0 && l === label);
  assert.notDeepEqual(train.images.subarray(other * IMAGE_BYTES, (other + 1) * IMAGE_BYTES), first);
});

Deno.test("the synthetic generator is deterministic for a seed and differs across seeds", () => {
  const a = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 1 });
  const b = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 1 });
  const c = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 2 });
  assert.deepEqual(a.train.images, b.train.images);
  assert.notDeepEqual(a.train.images, c.train.images);
  assert.deepEqual([...a.train.labels].sort(), [
    0,
    0,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
    4,
    5,
    5,
    6,
    6,
    7,
    7,
    8,
    8,
    9,
    9,
  ]);
});
