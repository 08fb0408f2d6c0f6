/**
 * The channel decision of one pruning step on plain |gamma| arrays (no tensors), with every
 * option a step can have: the global threshold and min-channels guard, the multi-pass
 * per-layer cap, and rounding kept counts up to a multiple of N. Architectures that rank
 * a subset of a BN's channels (a selection's kept ones) pass those channels' |gamma| and
 * map the masks back to the BN's width themselves.
 *
 * @module
 */
import { cappedMasks } from "./layer_cap.ts";
import { roundKeptUp, validateRoundTo } from "./round_to.ts";
import { pruneDecision } from "./selection.ts";
import { validateMinChannels, validateRatio } from "./_validate.ts";

/** Options of {@linkcode stepDecision}. */
export interface StepOptions {
  /** Fewest channels any layer keeps (default 1; 0 turns the guard off). */
  readonly minChannels?: number;
  /** A multi-pass step: no layer loses more than this fraction of its channels. */
  readonly maxLayerRatio?: number;
  /** Round each layer's kept count up to a multiple of this, after the guard (default 1). */
  readonly roundTo?: number;
}

/** What one step keeps, per layer of the arrays given. */
export interface StepDecision {
  readonly threshold: number;
  /** Per layer, per channel: whether it is kept (after any rounding). */
  readonly masks: boolean[][];
  /** Kept channels per layer (after any rounding). */
  readonly kept: number[];
  /** Layers where the min-channels guard kept more than the threshold did. */
  readonly guardedLayers: number[];
  /** With `maxLayerRatio`: the cap and the layers where it kept more than the threshold. */
  readonly cap?: { readonly maxLayerRatio: number; readonly cappedLayers: number[] };
  /** With `roundTo` > 1: kept channels per layer before rounding. */
  readonly keptBeforeRounding?: number[];
}

/**
 * The decision at `ratio`: `pruneDecision` (or, with `maxLayerRatio`, `cappedMasks`), then
 * with `roundTo` > 1 `roundKeptUp`, so each layer keeps min(width, the next multiple of
 * `roundTo`) channels, the extra ones by largest |gamma|.
 */
export function stepDecision(
  abs: readonly Float32Array[],
  ratio: number,
  options: StepOptions = {},
): StepDecision {
  validateRatio(ratio);
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const roundTo = validateRoundTo(options.roundTo ?? 1);
  let base: StepDecision;
  if (options.maxLayerRatio === undefined) {
    base = pruneDecision(abs, ratio, { minChannels });
  } else {
    const capped = cappedMasks(abs, ratio, { minChannels, maxLayerRatio: options.maxLayerRatio });
    const { maxLayerRatio, cappedLayers, ...rest } = capped;
    base = { ...rest, cap: { maxLayerRatio, cappedLayers } };
  }
  if (roundTo === 1) return base;
  const rounded = roundKeptUp(abs, base.masks, roundTo);
  return {
    ...base,
    masks: rounded.masks,
    kept: rounded.keptAfter,
    keptBeforeRounding: rounded.keptBefore,
  };
}
