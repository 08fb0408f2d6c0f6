/**
 * Channel selection on plain |gamma| arrays, no tensors: the guarded keep masks of a
 * threshold, and the whole one-shot pruning decision (threshold, masks, report) of a cfg.
 * An architecture's pruning makes the smaller model from this decision; tools that only need
 * the numbers (a report fixture, a planner) call it directly without loading tfjs.
 *
 * @module
 */
import { flooredMasks, guardFloor, raisedLayers, rankThreshold } from "./_ranking.ts";
import { validateMinChannels, validateRatio } from "./_validate.ts";
import { buildPruneReport, type CfgCounts, type CfgEntry, type PruneReport } from "./report.ts";

/** Options of {@linkcode masksFromAbsGammas}. */
export interface ChannelMaskOptions {
  /**
   * Fewest channels a layer keeps (default 1). A layer the threshold leaves with fewer keeps
   * its `minChannels` largest |gamma| instead (every channel if it has fewer). 0 turns the
   * guard off and gives the reference's pure threshold masks, which may empty a layer.
   */
  readonly minChannels?: number;
}

/** Keep masks per BN layer. */
export interface ChannelMasks {
  /** Per layer, per channel: true when the channel is kept. */
  readonly masks: boolean[][];
  /** Kept channels per layer. */
  readonly kept: number[];
  /** 0-based indices (in BN order) of the layers where the minChannels guard fired. */
  readonly guardedLayers: number[];
}

/**
 * Per-layer keep masks on |gamma| arrays (one per BN layer): a channel is kept when
 * `|gamma| > threshold`. A layer that would keep fewer than `minChannels` keeps its
 * `minChannels` largest |gamma| instead (ties to the lower channel index) and is listed in
 * `guardedLayers`.
 */
export function masksFromAbsGammas(
  abs: readonly Float32Array[],
  threshold: number,
  options: ChannelMaskOptions = {},
): ChannelMasks {
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const floors = abs.map((layer) => guardFloor(layer.length, minChannels));
  const { masks, kept, thresholdKept } = flooredMasks(abs, threshold, floors);
  return { masks, kept, guardedLayers: raisedLayers(thresholdKept, floors) };
}

/** The one-shot pruning decision: the global threshold and the guarded masks. */
export interface ChannelDecision extends ChannelMasks {
  readonly threshold: number;
}

/**
 * The one-shot decision at `ratio` on |gamma| arrays (one per BN layer): the reference's
 * global threshold over all layers and the masks guarded by `minChannels`.
 */
export function pruneDecision(
  abs: readonly Float32Array[],
  ratio: number,
  options: ChannelMaskOptions = {},
): ChannelDecision {
  validateRatio(ratio);
  const { threshold } = rankThreshold(abs, ratio);
  return { threshold, ...masksFromAbsGammas(abs, threshold, options) };
}

/**
 * What a one-shot prune at `ratio` reports, computed from a flat cfg (one channel count
 * per BN layer, `"M"` markers aside), the |gamma| arrays and the architecture's `counts`
 * alone (the decision pruning makes, without building the smaller model).
 */
export function planPrune(
  cfg: readonly CfgEntry[],
  abs: readonly Float32Array[],
  ratio: number,
  options: ChannelMaskOptions & { readonly numClasses?: number; readonly counts: CfgCounts },
): PruneReport {
  const decision = pruneDecision(abs, ratio, options);
  return buildPruneReport({
    ratio,
    threshold: decision.threshold,
    cfgBefore: cfg,
    kept: decision.kept,
    guardedLayers: decision.guardedLayers,
    numClasses: options.numClasses ?? 10,
    counts: options.counts,
  });
}
