/**
 * Checks of the numeric options of the pruning functions; every failure is a one-line
 * {@linkcode UsageError}.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";

/** `ratio` as a number in [0, 1); NaN, infinities, negatives and values >= 1 are UsageErrors. */
export function validateRatio(ratio: unknown, name = "ratio"): number {
  if (typeof ratio !== "number" || !Number.isFinite(ratio) || ratio < 0 || ratio >= 1) {
    throw new UsageError(`${name} must be a number in [0, 1), got ${String(ratio)}`);
  }
  return ratio;
}

/** `minChannels` as a non-negative integer (0 turns the guard off). */
export function validateMinChannels(minChannels: unknown): number {
  if (typeof minChannels !== "number" || !Number.isSafeInteger(minChannels) || minChannels < 0) {
    throw new UsageError(`minChannels must be a non-negative integer, got ${String(minChannels)}`);
  }
  return minChannels;
}

/** `maxLayerRatio` as a number in [0, 1]. */
export function validateMaxLayerRatio(maxLayerRatio: unknown): number {
  if (
    typeof maxLayerRatio !== "number" || !Number.isFinite(maxLayerRatio) || maxLayerRatio < 0 ||
    maxLayerRatio > 1
  ) {
    throw new UsageError(`maxLayerRatio must be a number in [0, 1], got ${String(maxLayerRatio)}`);
  }
  return maxLayerRatio;
}

/** `passes` as a positive integer. */
export function validatePasses(passes: unknown): number {
  if (typeof passes !== "number" || !Number.isSafeInteger(passes) || passes < 1) {
    throw new UsageError(`passes must be a positive integer, got ${String(passes)}`);
  }
  return passes;
}

/** `lambda` as a finite non-negative number. */
export function validateLambda(lambda: unknown): number {
  if (typeof lambda !== "number" || !Number.isFinite(lambda) || lambda < 0) {
    throw new UsageError(`lambda must be a finite non-negative number, got ${String(lambda)}`);
  }
  return lambda;
}
