/**
 * Class-balanced subsets, for quick runs on a fraction of CIFAR-10 or CIFAR-100.
 *
 * @module
 */
import { createRng, permutation, UsageError } from "@slimming/tensor-utils/core";
import { type CifarSplit, IMAGE_BYTES } from "./format.ts";
import { SUBSET_STREAM } from "./order.ts";

/**
 * Indices of a class-balanced subset: `n / classCount` records of each class (labels 0 to
 * `classCount - 1`), drawn by a seeded shuffle within each class, returned in ascending
 * order. `n` must be a positive multiple of `classCount` that every class can supply;
 * anything else is a {@linkcode UsageError}.
 */
export function subsetIndices(
  labels: Uint8Array,
  n: number,
  seed: number,
  classCount: number,
): Int32Array {
  if (!Number.isSafeInteger(n) || n < classCount || n % classCount !== 0) {
    throw new UsageError(
      `subset size must be a positive multiple of ${classCount} (the classes), got ${n}`,
    );
  }
  const perClass = n / classCount;
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]]?.push(i);
  const chosen: number[] = [];
  for (let c = 0; c < classCount; c++) {
    const members = byClass[c];
    if (members.length < perClass) {
      throw new UsageError(
        `subset of ${n} needs ${perClass} images per class, but class ${c} has only ${members.length}`,
      );
    }
    const order = permutation(members.length, createRng(seed, SUBSET_STREAM, c));
    for (let k = 0; k < perClass; k++) chosen.push(members[order[k]]);
  }
  return Int32Array.from(chosen).sort();
}

/** Copies the records at `indices` into a new split, in that order. */
export function selectRecords(split: CifarSplit, indices: ArrayLike<number>): CifarSplit {
  const count = indices.length;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  const coarse = split.coarseLabels ? new Uint8Array(count) : undefined;
  for (let i = 0; i < count; i++) {
    const r = indices[i];
    if (!(r >= 0 && r < split.count && Number.isInteger(r))) {
      throw new RangeError(`selectRecords: index ${r} outside 0-${split.count - 1}`);
    }
    labels[i] = split.labels[r];
    if (coarse) coarse[i] = split.coarseLabels![r];
    images.set(split.images.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
  }
  return coarse ? { images, labels, coarseLabels: coarse, count } : { images, labels, count };
}

/**
 * A class-balanced subset of `n` records over `classCount` classes (see
 * {@linkcode subsetIndices}), deterministic for the seed; coarse labels come along.
 */
export function subsetBalanced(
  split: CifarSplit,
  n: number,
  seed: number,
  classCount: number,
): CifarSplit {
  const labels = split.labels.subarray(0, split.count);
  return selectRecords(split, subsetIndices(labels, n, seed, classCount));
}
