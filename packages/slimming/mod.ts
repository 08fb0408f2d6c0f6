/**
 * Network Slimming (Liu et al., ICCV 2017), the parts every architecture shares, as in the
 * reference's `main.py` (`updateBN`) and its pruning scripts: the L1 sparsity term on BN
 * scaling factors, the global |gamma| threshold, channel masks on plain |gamma| arrays with
 * the min-channels guard, rounding kept counts up, the per-layer cap and the multi-pass
 * scheme (`multiPassPruneWith`), the step decision with every option together, pruning
 * reports and BN recalibration over any architecture's `ModelOps`. Each architecture's own
 * pruning (which tensors a mask narrows) lives in its package. Pure functions: inputs are
 * never changed, every returned tensor is new and the caller disposes it.
 *
 * @module
 */
export { sparsityGradient, sparsityPenalty } from "./sparsity.ts";
export { absCopy, absGammasOfLayers, absGammasOfLayersSync } from "./gammas.ts";
export { type GammaThreshold, thresholdFromAbsGammas } from "./threshold.ts";
export {
  buildPruneReport,
  cfgChannels,
  type CfgCounts,
  type CfgEntry,
  prunedCfg,
  type PruneReport,
} from "./report.ts";
export {
  type CappedMasks,
  cappedMasks,
  type CappedPruneReport,
  layerCapFloor,
  type LayerCapOptions,
} from "./layer_cap.ts";
export {
  type FineTune,
  type MultiPassOptions,
  multiPassPruneWith,
  type PassesResult,
  type PassPruner,
} from "./multi_pass.ts";
export { type StepDecision, stepDecision, type StepOptions } from "./step_decision.ts";
export type { StepReport } from "./step_report.ts";
export { recalibrateBatchNorm } from "./recalibrate.ts";
export {
  roundedCount,
  type RoundedMasks,
  type RoundedPruneOptions,
  roundKeptUp,
  validateRoundTo,
} from "./round_to.ts";
export {
  type ChannelDecision,
  type ChannelMaskOptions,
  type ChannelMasks,
  masksFromAbsGammas,
  planPrune,
  pruneDecision,
} from "./selection.ts";
export { composeMasks, mergePassReports } from "./merge_passes.ts";
export { validateMinChannels, validateRatio } from "./_validate.ts";
