/**
 * VGG's pruning with the step options: kept counts rounded up to a multiple of N
 * (`--round-to`), the per-layer cap of one multi-pass pass, and the paper's multi-pass
 * scheme (Sec. 4.5) on `@slimming/slimming`'s `multiPassPruneWith`.
 *
 * @module
 */
import {
  cappedMasks,
  type CappedPruneReport,
  type LayerCapOptions,
  masksFromAbsGammas,
  type MultiPassOptions,
  multiPassPruneWith,
  type PassesResult,
  type PassPruner,
  type RoundedPruneOptions,
  roundKeptUp,
  thresholdFromAbsGammas,
  validateMinChannels,
  validateRatio,
} from "@slimming/slimming";
import type { CfgItem } from "./cfg.ts";
import type { VggParams } from "./params.ts";
import { absGammas, absGammasAsync, pruneByDecision, type PruneResult } from "./prune.ts";

/** A pruning result whose kept counts were rounded, and the counts before rounding. */
export interface RoundedPruneResult extends PruneResult {
  readonly keptBeforeRounding: number[];
}

/**
 * `prune` (global threshold, min-channels guard) followed by `roundKeptUp`: the smaller
 * model keeps each layer's count rounded up to a multiple of `roundTo`.
 */
export function pruneRoundedFromAbsGammas(
  params: VggParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: RoundedPruneOptions,
): RoundedPruneResult {
  validateRatio(ratio);
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const { threshold } = thresholdFromAbsGammas(abs, ratio);
  const guarded = masksFromAbsGammas(abs, threshold, { minChannels });
  const { masks, keptBefore } = roundKeptUp(abs, guarded.masks, options.roundTo);
  const result = pruneByDecision(params, ratio, {
    masks,
    threshold,
    guardedLayers: guarded.guardedLayers,
  });
  return { ...result, keptBeforeRounding: keptBefore };
}

/** {@linkcode pruneRoundedFromAbsGammas} reading the gammas synchronously. */
export function pruneRounded(
  params: VggParams,
  ratio: number,
  options: RoundedPruneOptions,
): RoundedPruneResult {
  return pruneRoundedFromAbsGammas(params, absGammas(params), ratio, options);
}

/** A capped pruning pass: the smaller model, its cfg, masks and report. */
export interface CappedPruneResult extends PruneResult {
  /** What the pass did, the cap included. */
  readonly report: CappedPruneReport;
}

/**
 * {@linkcode pruneLayerCapped} on |gamma| arrays already read (`absGammas` or
 * `absGammasAsync`); `abs` must come from `params`.
 */
export function pruneLayerCappedFromAbsGammas(
  params: VggParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: LayerCapOptions = {},
): CappedPruneResult {
  const { masks, threshold, guardedLayers, maxLayerRatio, cappedLayers } = cappedMasks(
    abs,
    ratio,
    options,
  );
  const result = pruneByDecision(params, ratio, { masks, threshold, guardedLayers });
  return { ...result, report: { ...result.report, maxLayerRatio, cappedLayers } };
}

/**
 * Prunes at the global `ratio` like `prune`, then caps each layer: a layer keeps at least
 * ceil((1 - maxLayerRatio) * channels) channels (default maxLayerRatio 0.5) and at least
 * `minChannels`, by its largest |gamma| (ties to the lower channel index). The paper's
 * multi-pass scheme uses a 50% threshold with this 50% per-layer cap. `params` is unchanged;
 * the result's tensors are new. Reads the gammas synchronously (see `absGammas`).
 */
export function pruneLayerCapped(
  params: VggParams,
  ratio: number,
  options: LayerCapOptions = {},
): CappedPruneResult {
  validateRatio(ratio);
  return pruneLayerCappedFromAbsGammas(params, absGammas(params), ratio, options);
}

/** The final VGG, its cfg, what each pass did and what the passes kept. */
export interface MultiPassResult extends PassesResult<VggParams, CappedPruneReport> {
  /** The final model's cfg. */
  readonly cfg: CfgItem[];
}

/** VGG's pass: `absGammasAsync` and `pruneLayerCappedFromAbsGammas`. */
export const VGG_PASS: PassPruner<VggParams, CappedPruneReport> = {
  absGammas: absGammasAsync,
  prune: pruneLayerCappedFromAbsGammas,
};

/**
 * Multi-pass pruning of a VGG (`multiPassPruneWith` with {@linkcode pruneLayerCapped}'s
 * pass; gammas read asynchronously, so any backend works).
 */
export async function multiPassPrune(
  params: VggParams,
  options: MultiPassOptions<VggParams>,
): Promise<MultiPassResult> {
  const result = await multiPassPruneWith(params, VGG_PASS, options);
  return { ...result, cfg: [...result.params.cfg] };
}
