/**
 * What a pruning step did, as plain JSON-friendly values.
 *
 * @module
 */
import { type Cfg, type CfgItem, convChannels, countFlops, countParams } from "@slimming/vgg/cfg";

/** Summary of one pruning step. */
export interface PruneReport {
  /** The requested global ratio. */
  readonly ratio: number;
  /** The global |gamma| threshold (channels with |gamma| > threshold are kept). */
  readonly threshold: number;
  /** BN channels before pruning, all layers together. */
  readonly total: number;
  /** Channels removed, all layers together. */
  readonly pruned: number;
  /** Channels kept per layer. */
  readonly kept: number[];
  /** Channels per layer before pruning. */
  readonly channelsBefore: number[];
  /** Layers (0-based, BN order) where the minChannels guard fired. */
  readonly guardedLayers: number[];
  /** The cfg before pruning. */
  readonly cfgBefore: CfgItem[];
  /** The cfg after pruning: each conv's count replaced by its kept channels. */
  readonly cfg: CfgItem[];
  /** Trainable parameters before (vgg's `countParams`). */
  readonly paramsBefore: number;
  /** Trainable parameters after. */
  readonly paramsAfter: number;
  /** FLOPs of one 32x32 forward pass before (vgg's `countFlops`). */
  readonly flopsBefore: number;
  /** FLOPs of one 32x32 forward pass after. */
  readonly flopsAfter: number;
}

/** `cfg` with each conv layer's channel count replaced by `kept`, pools unchanged. */
export function prunedCfg(cfg: Cfg, kept: readonly number[]): CfgItem[] {
  let layer = 0;
  return cfg.map((v) => (v === "M" ? v : kept[layer++]));
}

/** The report of pruning `cfgBefore` to `kept` channels per layer. */
export function buildPruneReport(fields: {
  ratio: number;
  threshold: number;
  cfgBefore: Cfg;
  kept: readonly number[];
  guardedLayers: readonly number[];
  numClasses: number;
}): PruneReport {
  const channelsBefore = convChannels(fields.cfgBefore);
  const total = channelsBefore.reduce((a, b) => a + b, 0);
  const cfg = prunedCfg(fields.cfgBefore, fields.kept);
  const keptTotal = fields.kept.reduce((a, b) => a + b, 0);
  return {
    ratio: fields.ratio,
    threshold: fields.threshold,
    total,
    pruned: total - keptTotal,
    kept: [...fields.kept],
    channelsBefore,
    guardedLayers: [...fields.guardedLayers],
    cfgBefore: [...fields.cfgBefore],
    cfg,
    paramsBefore: countParams(fields.cfgBefore, fields.numClasses),
    paramsAfter: countParams(cfg, fields.numClasses),
    flopsBefore: countFlops(fields.cfgBefore, fields.numClasses),
    flopsAfter: countFlops(cfg, fields.numClasses),
  };
}
