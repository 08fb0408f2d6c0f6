import assert from "node:assert/strict";
import fc from "fast-check";
import { augmentRng } from "./order.ts";
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  makeBatch,
  normalizationTable,
  normalizePixel,
} from "./batch.ts";
import { type CifarSplit, IMAGE_BYTES } from "./format.ts";
import {
  drawTransform,
  IDENTITY_TRANSFORM,
  type ImageTransform,
  transformImage,
} from "./augment.ts";
import { syntheticCifar } from "./synthetic.ts";

const split = syntheticCifar({ trainPerClass: 10, testPerClass: 1, seed: 8 }).train;

/** The value at NHWC position (n, y, x, c) of a batch. */
function at(x: Float32Array, n: number, y: number, col: number, c: number): number {
  return x[n * IMAGE_BYTES + (y * 32 + col) * 3 + c];
}

/** The raw byte of image `i` at (y, x, c) in the stored CHW layout. */
function raw(images: Uint8Array, i: number, y: number, x: number, c: number): number {
  return images[i * IMAGE_BYTES + c * 1024 + y * 32 + x];
}

Deno.test("normalisation matches a hand computation: (v / 255 - mean) / std", () => {
  // By hand: (0 - 0.4914) / 0.2023 = -2.429065...; (1 - 0.4822) / 0.1994 = 2.596790...;
  // (128/255 - 0.4465) / 0.2010 = (0.501961 - 0.4465) / 0.2010 = 0.275924...
  assert.ok(Math.abs(normalizePixel(0, 0.4914, 0.2023) - -2.4290657) < 1e-6);
  assert.ok(Math.abs(normalizePixel(255, 0.4822, 0.1994) - 2.5967904) < 1e-6);
  assert.ok(Math.abs(normalizePixel(128, 0.4465, 0.2010) - 0.2759243) < 1e-6);
  const table = normalizationTable();
  assert.equal(table[0], Math.fround((0 - Math.fround(0.4914)) / Math.fround(0.2023)));
  assert.equal(table[256 + 255], normalizePixel(255, CIFAR10_MEAN[1], CIFAR10_STD[1]));
  assert.deepEqual([...CIFAR10_MEAN], [0.4914, 0.4822, 0.4465]);
  assert.deepEqual([...CIFAR10_STD], [0.2023, 0.1994, 0.2010]);
});

Deno.test("an evaluation batch is the stored CHW image, normalised, in NHWC order with its labels", () => {
  const indices = [3, 0, 57];
  const batch = makeBatch(split, indices, { augment: false });
  assert.equal(batch.count, 3);
  assert.equal(batch.x.length, 3 * 32 * 32 * 3);
  assert.deepEqual([...batch.y], indices.map((i) => split.labels[i]));
  for (const [n, i] of indices.entries()) {
    for (const [y, x] of [[0, 0], [0, 31], [17, 5], [31, 31]]) {
      for (let c = 0; c < 3; c++) {
        const expected = normalizePixel(
          raw(split.images, i, y, x, c),
          CIFAR10_MEAN[c],
          CIFAR10_STD[c],
        );
        assert.equal(at(batch.x, n, y, x, c), expected);
      }
    }
  }
});

Deno.test("crop at offset (4, 4) without flip is the identity; (0, 0) shifts in zero padding", () => {
  const plain = makeBatch(split, [5], { augment: false });
  const same = makeBatch(split, [5], { augment: true, transforms: [IDENTITY_TRANSFORM] });
  assert.deepEqual(same.x, plain.x);
  const shifted = makeBatch(split, [5], {
    augment: true,
    transforms: [{ top: 0, left: 0, flip: false }],
  });
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      for (let c = 0; c < 3; c++) {
        const expected = y < 4 || x < 4
          ? Math.fround(-Math.fround(CIFAR10_MEAN[c]) / Math.fround(CIFAR10_STD[c])) // padded 0
          : at(plain.x, 0, y - 4, x - 4, c);
        assert.equal(at(shifted.x, 0, y, x, c), expected);
      }
    }
  }
});

Deno.test("a flip mirrors the image and keeps the label; flipping twice restores it", () => {
  const flip: ImageTransform = { ...IDENTITY_TRANSFORM, flip: true };
  const plain = makeBatch(split, [9, 10], { augment: false });
  const flipped = makeBatch(split, [9, 10], { augment: true, transforms: [flip, flip] });
  assert.deepEqual(flipped.y, plain.y);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 32; y += 3) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) {
          assert.equal(at(flipped.x, n, y, x, c), at(plain.x, n, y, 31 - x, c));
        }
      }
    }
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: IMAGE_BYTES, maxLength: IMAGE_BYTES }), (image) => {
      assert.deepEqual(transformImage(transformImage(image, flip), flip), image);
    }),
    { numRuns: 50 },
  );
  const gradient = Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => i % 32);
  assert.equal(transformImage(gradient, flip)[0], 31);
});

Deno.test("the fast batch equals the reference: normalise(transformImage(image)) for any transform", () => {
  const table = normalizationTable();
  const transform = fc.record({
    top: fc.integer({ min: 0, max: 8 }),
    left: fc.integer({ min: 0, max: 8 }),
    flip: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: IMAGE_BYTES, maxLength: IMAGE_BYTES }),
      fc.integer({ min: 0, max: 9 }),
      transform,
      (image, label, t) => {
        const one: CifarSplit = { images: image, labels: Uint8Array.of(label), count: 1 };
        const batch = makeBatch(one, [0], { augment: true, transforms: [t] });
        const expected = transformImage(image, t);
        assert.deepEqual([...batch.y], [label]);
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            for (let c = 0; c < 3; c++) {
              const v = expected[c * 1024 + y * 32 + x];
              if (at(batch.x, 0, y, x, c) !== table[c * 256 + v]) {
                throw new Error(`mismatch at (${y}, ${x}, ${c}) for ${JSON.stringify(t)}`);
              }
            }
          }
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("augmentation is deterministic for a generator and draws crop row, column, flip per image", () => {
  const indices = Int32Array.from({ length: 64 }, (_, i) => i);
  const a = makeBatch(split, indices, { augment: true, rng: augmentRng(1, 2, 3) });
  const b = makeBatch(split, indices, { augment: true, rng: augmentRng(1, 2, 3) });
  const c = makeBatch(split, indices, { augment: true, rng: augmentRng(1, 2, 4) });
  assert.deepEqual(a.x, b.x);
  assert.notDeepEqual(a.x, c.x);
  const rng = augmentRng(1, 2, 3);
  const transforms = Array.from({ length: 64 }, () => drawTransform(rng));
  assert.deepEqual(makeBatch(split, indices, { augment: true, transforms }).x, a.x);
  assert.ok(transforms.some((t) => t.flip) && transforms.some((t) => !t.flip));
  assert.ok(transforms.every((t) => t.top >= 0 && t.top <= 8 && t.left >= 0 && t.left <= 8));
  const many = Array.from({ length: 500 }, () => drawTransform(rng));
  assert.equal(new Set(many.map((t) => t.top)).size, 9);
  assert.equal(new Set(many.map((t) => t.left)).size, 9);
});

Deno.test("makeBatch refuses bad input: no generator for augmentation, indices out of range", () => {
  assert.throws(() => makeBatch(split, [0], { augment: true }), TypeError);
  assert.throws(() => makeBatch(split, [split.count], { augment: false }), RangeError);
  assert.throws(() => makeBatch(split, [-1], { augment: false }), RangeError);
  assert.throws(
    () => makeBatch(split, [0, 1], { augment: true, transforms: [IDENTITY_TRANSFORM] }),
    RangeError,
  );
});

Deno.test("makeBatch honours a custom mean and std", () => {
  const batch = makeBatch(split, [0], { augment: false, mean: [0, 0, 0], std: [1, 1, 1] });
  assert.equal(at(batch.x, 0, 2, 3, 1), Math.fround(raw(split.images, 0, 2, 3, 1) / 255));
});
