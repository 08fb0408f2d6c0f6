/**
 * One pass of the paper's multi-pass scheme (Sec. 4.5): the global threshold, with no layer
 * losing more than a set fraction of its channels.
 *
 * @module
 */
import { flooredMasks, guardFloor, raisedLayers, rankThreshold } from "./_ranking.ts";
import { validateMaxLayerRatio, validateMinChannels, validateRatio } from "./_validate.ts";
import type { PruneReport } from "./report.ts";

/** Options of a capped pass ({@linkcode cappedMasks}). */
export interface LayerCapOptions {
  /** Largest fraction of a layer's channels one pass may remove, in [0, 1] (default 0.5). */
  readonly maxLayerRatio?: number;
  /** Fewest channels any layer keeps (default 1); see `masksFromAbsGammas`. */
  readonly minChannels?: number;
}

/** {@linkcode PruneReport} plus the per-layer cap. */
export interface CappedPruneReport extends PruneReport {
  /** The cap used: largest fraction of a layer's channels this pass could remove. */
  readonly maxLayerRatio: number;
  /** Layers (0-based, BN order) where the cap kept more channels than the threshold did. */
  readonly cappedLayers: number[];
}

/**
 * Fewest channels a layer of `channels` keeps when it may lose at most `maxLayerRatio` of
 * them: ceil((1 - maxLayerRatio) * channels), computed as channels - floor(maxLayerRatio *
 * channels) with a 1e-9 allowance for rounding (so 0.29 * 100 counts as 29).
 */
export function layerCapFloor(channels: number, maxLayerRatio: number): number {
  return channels - Math.floor(maxLayerRatio * channels + 1e-9);
}

/** The masks of one capped pass on |gamma| arrays: threshold, guard and per-layer cap. */
export interface CappedMasks {
  readonly threshold: number;
  /** Per layer, per channel (of the arrays given): whether it is kept. */
  readonly masks: boolean[][];
  /** Kept channels per layer. */
  readonly kept: number[];
  /** Layers where the min-channels guard kept more channels than the threshold did. */
  readonly guardedLayers: number[];
  /** The cap used. */
  readonly maxLayerRatio: number;
  /** Layers where the cap kept more channels than the threshold did. */
  readonly cappedLayers: number[];
}

/**
 * The decision of a capped pass on plain |gamma| arrays, one per layer (no tensors): the
 * global threshold at `ratio`, each layer raised to at least max(minChannels, its cap floor)
 * channels by its largest |gamma| (ties to the lower channel index).
 */
export function cappedMasks(
  abs: readonly Float32Array[],
  ratio: number,
  options: LayerCapOptions = {},
): CappedMasks {
  validateRatio(ratio);
  const maxLayerRatio = validateMaxLayerRatio(options.maxLayerRatio ?? 0.5);
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const { threshold } = rankThreshold(abs, ratio);
  const guards = abs.map((layer) => guardFloor(layer.length, minChannels));
  const caps = abs.map((layer) => layerCapFloor(layer.length, maxLayerRatio));
  const floors = guards.map((g, i) => Math.max(g, caps[i]));
  const { masks, kept, thresholdKept } = flooredMasks(abs, threshold, floors);
  return {
    threshold,
    masks,
    kept,
    guardedLayers: raisedLayers(thresholdKept, guards),
    maxLayerRatio,
    cappedLayers: raisedLayers(thresholdKept, caps),
  };
}
