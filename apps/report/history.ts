/**
 * Facts read off a `history.json`: last and best epoch, epochs run, wall time, and the
 * first epoch whose loss was not a finite number.
 *
 * @module
 */
import type { EpochRecord } from "./lab_types.ts";

/** True for a finite number (JSON writes NaN and ±Infinity as null). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** The last record, if any. */
export function lastEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  return history.at(-1);
}

/** The record with the highest finite test accuracy (the earliest on ties), if any. */
export function bestTestEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const record of history) {
    if (isFiniteNumber(record.testAcc) && (best === undefined || record.testAcc > best.testAcc)) {
      best = record;
    }
  }
  return best;
}

/** Sum of the per-epoch wall times in seconds (missing ones count 0). */
export function historySeconds(history: readonly EpochRecord[]): number {
  return history.reduce((n, r) => n + (isFiniteNumber(r.seconds) ? r.seconds : 0), 0);
}

/** The first record whose train or test loss is missing, NaN or infinite. */
export function firstNonFiniteLoss(history: readonly EpochRecord[]): EpochRecord | undefined {
  return history.find((r) => !isFiniteNumber(r.trainLoss) || !isFiniteNumber(r.testLoss));
}
