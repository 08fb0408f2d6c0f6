/**
 * Network Slimming (Liu et al., ICCV 2017) on the VGG-BN models of `@slimming/vgg`, as in the
 * reference's `main.py` (`updateBN`) and `vggprune.py`: the L1 sparsity term on BN scaling
 * factors, the global |gamma| threshold, channel masks, the masked and the physically pruned
 * model, and the multi-pass scheme (generic over architectures: `multiPassPruneWith`), with
 * the step decision other architectures' packages prune with (their own pruning, e.g.
 * `resprune.py`'s, lives in their packages). Pure functions: inputs are never changed, every
 * returned tensor is new and the caller disposes it.
 *
 * @module
 */
export { sparsityGradient, sparsityPenalty } from "./sparsity.ts";
export { absCopy, absGammas, absGammasAsync, absGammasOfLayers } from "./gammas.ts";
export { type GammaThreshold, gammaThreshold } from "./threshold.ts";
export { type ChannelMaskOptions, type ChannelMasks, channelMasks } from "./masks.ts";
export { maskParams } from "./mask_params.ts";
export {
  prune,
  pruneFromAbsGammas,
  type PruneOptions,
  type PruneResult,
  pruneWithMasks,
} from "./prune.ts";
export { prunedCfg, type PruneReport } from "./report.ts";
export {
  type CappedMasks,
  cappedMasks,
  type CappedPruneReport,
  type CappedPruneResult,
  layerCapFloor,
  type LayerCapOptions,
  pruneLayerCapped,
  pruneLayerCappedFromAbsGammas,
} from "./layer_cap.ts";
export {
  type FineTune,
  type MultiPassOptions,
  multiPassPrune,
  multiPassPruneWith,
  type MultiPassResult,
  type PassesResult,
  type PassPruner,
} from "./multi_pass.ts";
export { type StepDecision, stepDecision, type StepOptions } from "./step_decision.ts";
export type { StepReport } from "./step_report.ts";
export { recalibrateBatchNorm } from "./recalibrate.ts";
export {
  pruneRounded,
  pruneRoundedFromAbsGammas,
  roundedCount,
  type RoundedMasks,
  type RoundedPruneOptions,
  type RoundedPruneResult,
  roundKeptUp,
  validateRoundTo,
} from "./round_to.ts";
export { type ChannelDecision, planPrune, pruneDecision } from "./selection.ts";
export { composeMasks, mergePassReports } from "./merge_passes.ts";
export { validateRatio } from "./_validate.ts";
