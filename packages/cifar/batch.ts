/**
 * Builds training and evaluation batches: NHWC float32 images, normalised per channel
 * like torchvision's `ToTensor()` + `Normalize(mean, std)` (float32 arithmetic,
 * `(v / 255 - mean) / std`), optionally augmented. This is the hot path: one pass over
 * the output through a 768-entry lookup table, no per-pixel allocation.
 *
 * @module
 */
import type { Rng } from "@slimming/tensor-utils/core";
import { CROP_PADDING, drawTransform, type ImageTransform } from "./augment.ts";
import { type CifarSplit, IMAGE_BYTES, IMAGE_SIZE } from "./format.ts";
import { CIFAR10_MEAN, CIFAR10_STD } from "./spec.ts";

export { CIFAR10_MEAN, CIFAR10_STD } from "./spec.ts";

/** One normalised value, computed exactly as torchvision does in float32. */
export function normalizePixel(value: number, mean: number, std: number): number {
  const f = Math.fround;
  return f(f(f(value / 255) - f(mean)) / f(std));
}

/** The 3 x 256 table of normalised values: entry `c * 256 + v` is byte `v` of channel `c`. */
export function normalizationTable(
  mean: readonly number[] = CIFAR10_MEAN,
  std: readonly number[] = CIFAR10_STD,
): Float32Array {
  if (mean.length !== 3 || std.length !== 3) throw new RangeError("mean and std need 3 values");
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = normalizePixel(v, mean[c], std[c]);
  }
  return table;
}

/** Options for {@linkcode makeBatch}. */
export interface BatchOptions {
  /** Apply the random crop and flip (training) or not (evaluation). */
  readonly augment: boolean;
  /** Generator for the augmentation draws; needed when `augment` is on. */
  readonly rng?: Rng;
  /** Explicit transforms, one per index, used instead of random ones (whatever `augment` says). */
  readonly transforms?: readonly ImageTransform[];
  /** Per-channel mean (default {@linkcode CIFAR10_MEAN}; a data set's is its spec's `mean`). */
  readonly mean?: readonly number[];
  /** Per-channel std (default {@linkcode CIFAR10_STD}). */
  readonly std?: readonly number[];
}

/** A batch: images `[n, 32, 32, 3]` (NHWC) and labels `[n]`. */
export interface Batch {
  /** Normalised images, NHWC, `n * 3072` values. */
  readonly x: Float32Array;
  /** Labels (0-9; CIFAR-100's fine labels 0-99). */
  readonly y: Int32Array;
  /** Number of images. */
  readonly count: number;
}

const tableCache = new Map<string, Float32Array>();

function cachedTable(mean: readonly number[], std: readonly number[]): Float32Array {
  const key = `${mean.join(",")}/${std.join(",")}`;
  let table = tableCache.get(key);
  if (!table) {
    table = normalizationTable(mean, std);
    if (tableCache.size > 16) tableCache.clear();
    tableCache.set(key, table);
  }
  return table;
}

function writeImage(
  images: Uint8Array,
  source: number,
  out: Float32Array,
  at: number,
  table: Float32Array,
  top: number,
  left: number,
  flip: boolean,
): void {
  const S = IMAGE_SIZE, plane = S * S;
  const pad0 = table[0], pad1 = table[256], pad2 = table[512];
  let o = at;
  for (let y = 0; y < S; y++) {
    const sy = y + top - CROP_PADDING;
    if (sy < 0 || sy >= S) {
      for (let x = 0; x < S; x++, o += 3) {
        out[o] = pad0;
        out[o + 1] = pad1;
        out[o + 2] = pad2;
      }
      continue;
    }
    const row = source + sy * S;
    const shift = left - CROP_PADDING;
    for (let x = 0; x < S; x++, o += 3) {
      const sx = (flip ? S - 1 - x : x) + shift;
      if (sx < 0 || sx >= S) {
        out[o] = pad0;
        out[o + 1] = pad1;
        out[o + 2] = pad2;
      } else {
        const p = row + sx;
        out[o] = table[images[p]];
        out[o + 1] = table[256 + images[p + plane]];
        out[o + 2] = table[512 + images[p + 2 * plane]];
      }
    }
  }
}

/**
 * Gathers the records at `indices` into a normalised NHWC batch, augmenting each image
 * with a crop and flip drawn from `rng` (row, column, flip per image, in order) when
 * `augment` is on. Deterministic for a given generator state.
 */
export function makeBatch(
  split: CifarSplit,
  indices: ArrayLike<number>,
  options: BatchOptions,
): Batch {
  const n = indices.length;
  const table = cachedTable(options.mean ?? CIFAR10_MEAN, options.std ?? CIFAR10_STD);
  const { transforms, rng } = options;
  if (transforms && transforms.length !== n) {
    throw new RangeError(`makeBatch: ${transforms.length} transforms for ${n} images`);
  }
  if (options.augment && !transforms && !rng) {
    throw new TypeError("makeBatch: augment needs an rng (or explicit transforms)");
  }
  const x = new Float32Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const index = indices[i];
    if (!(index >= 0 && index < split.count && Number.isInteger(index))) {
      throw new RangeError(`makeBatch: index ${index} outside 0-${split.count - 1}`);
    }
    y[i] = split.labels[index];
    let top = CROP_PADDING, left = CROP_PADDING, flip = false;
    if (transforms) ({ top, left, flip } = transforms[i]);
    else if (options.augment) ({ top, left, flip } = drawTransform(rng!));
    writeImage(split.images, index * IMAGE_BYTES, x, i * IMAGE_BYTES, table, top, left, flip);
  }
  return { x, y, count: n };
}
