/**
 * Rounding each layer's kept channel count up to a multiple of N (inference runtimes are much
 * faster on channel counts that are multiples of 8), by keeping the next-largest |gamma|
 * channels the threshold dropped, never more than the layer has.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils";
import { countKept } from "./_ranking.ts";

/** Masks after rounding, with the kept counts before and after. */
export interface RoundedMasks {
  /** Per layer, per channel: kept after rounding (a superset of the input masks). */
  readonly masks: boolean[][];
  /** Kept channels per layer before rounding. */
  readonly keptBefore: number[];
  /** Kept channels per layer after rounding: min(width, the next multiple of N). */
  readonly keptAfter: number[];
}

/** `multiple` as a positive integer; anything else is a UsageError. */
export function validateRoundTo(multiple: unknown): number {
  if (typeof multiple !== "number" || !Number.isSafeInteger(multiple) || multiple < 1) {
    throw new UsageError(`round-to must be a positive integer, got ${String(multiple)}`);
  }
  return multiple;
}

/** The kept count `kept` of a `width`-channel layer rounded up to a multiple of `multiple`. */
export function roundedCount(kept: number, width: number, multiple: number): number {
  return Math.min(width, Math.ceil(kept / multiple) * multiple);
}

/**
 * Rounds each layer's kept count up to a multiple of `multiple` (at most the layer's width)
 * by also keeping its largest-|gamma| dropped channels (ties to the lower channel index).
 * Pure: `abs` and `masks` are not changed.
 */
export function roundKeptUp(
  abs: readonly Float32Array[],
  masks: readonly (readonly boolean[])[],
  multiple: number,
): RoundedMasks {
  validateRoundTo(multiple);
  const keptBefore = masks.map(countKept);
  const rounded = masks.map((mask, layer) => {
    const out = [...mask];
    const target = roundedCount(keptBefore[layer], mask.length, multiple);
    const dropped = mask.flatMap((keep, c) => (keep ? [] : [c]));
    dropped.sort((a, b) => abs[layer][b] - abs[layer][a] || a - b);
    for (const c of dropped.slice(0, target - keptBefore[layer])) out[c] = true;
    return out;
  });
  return { masks: rounded, keptBefore, keptAfter: rounded.map(countKept) };
}

/** Options of a one-shot prune whose kept counts are rounded up (`--round-to`). */
export interface RoundedPruneOptions {
  /** Fewest channels any layer keeps (default 1), applied before rounding. */
  readonly minChannels?: number;
  /** Each layer's kept count is rounded up to a multiple of this (1: no rounding). */
  readonly roundTo: number;
}
