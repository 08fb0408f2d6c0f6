/**
 * Seeded data order: which records an epoch visits, in what order, in which batches,
 * and the generator for a batch's augmentation. Everything derives from the run seed,
 * the epoch and the batch number, so a resumed run sees exactly the same data.
 *
 * @module
 */
import { createRng, permutation, type Rng, UsageError } from "@slimming/tensor-utils/core";

/** Stream id (first path element after the seed) of the epoch order. */
export const ORDER_STREAM = 0xc1fa0001;
/** Stream id of the per-batch augmentation generators. */
export const AUGMENT_STREAM = 0xc1fa0002;
/** Stream id of the balanced-subset draw. */
export const SUBSET_STREAM = 0xc1fa0003;

/** The shuffled order of `0..count-1` for an epoch: a permutation seeded by `(seed, epoch)`. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return permutation(count, createRng(seed, ORDER_STREAM, epoch));
}

/** The generator for the augmentation of batch `batch` of epoch `epoch`. */
export function augmentRng(seed: number, epoch: number, batch: number): Rng {
  return createRng(seed, AUGMENT_STREAM, epoch, batch);
}

/**
 * Splits an order into consecutive batches of `batchSize` (views, no copies). The last
 * batch keeps the remainder, like PyTorch's DataLoader with `drop_last=False`.
 */
export function batchesOf(order: Int32Array, batchSize: number): Int32Array[] {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const out: Int32Array[] = [];
  for (let at = 0; at < order.length; at += batchSize) {
    out.push(order.subarray(at, Math.min(at + batchSize, order.length)));
  }
  return out;
}
