/**
 * The tfjs-free part of `@slimming/slimming` (export path `@slimming/slimming/core`):
 * channel selection and pruning reports computed from plain |gamma| arrays and flat cfg
 * lists. Importing it loads no tfjs.
 *
 * @module
 */
export {
  type ChannelDecision,
  type ChannelMaskOptions,
  type ChannelMasks,
  masksFromAbsGammas,
  planPrune,
  pruneDecision,
} from "./selection.ts";
export {
  buildPruneReport,
  cfgChannels,
  type CfgCounts,
  type CfgEntry,
  prunedCfg,
  type PruneReport,
} from "./report.ts";
export { composeMasks, mergePassReports } from "./merge_passes.ts";
export { validateRatio } from "./_validate.ts";
