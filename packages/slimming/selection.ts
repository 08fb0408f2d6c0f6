/**
 * Channel selection on plain |gamma| arrays, no tensors: the guarded keep masks of a
 * threshold, and the whole one-shot pruning decision (threshold, masks, report) of a cfg.
 * `prune` makes the smaller model from this decision; tools that only need the numbers
 * (a report fixture, a planner) call it directly without loading tfjs.
 *
 * @module
 */
import type { Cfg } from "@slimming/vgg/cfg";
import { flooredMasks, guardFloor, raisedLayers, rankThreshold } from "./_ranking.ts";
import { validateMinChannels, validateRatio } from "./_validate.ts";
import { buildPruneReport, type PruneReport } from "./report.ts";

/** Options of {@linkcode masksFromAbsGammas} (and `channelMasks`). */
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

/** `channelMasks` on |gamma| arrays already read. */
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
 * The decision of `prune` at `ratio` on |gamma| arrays (one per BN layer): the
 * `vggprune.py` threshold over all layers and the masks guarded by `minChannels`.
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
 * What `prune(params, ratio, options)` reports, computed from the cfg and |gamma| arrays
 * alone (the same code path as `prune`, without building the smaller model).
 */
export function planPrune(
  cfg: Cfg,
  abs: readonly Float32Array[],
  ratio: number,
  options: ChannelMaskOptions & { readonly numClasses?: number } = {},
): PruneReport {
  const decision = pruneDecision(abs, ratio, options);
  return buildPruneReport({
    ratio,
    threshold: decision.threshold,
    cfgBefore: cfg,
    kept: decision.kept,
    guardedLayers: decision.guardedLayers,
    numClasses: options.numClasses ?? 10,
  });
}
