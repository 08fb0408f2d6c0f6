/**
 * What a pruning step did, as plain JSON-friendly values.
 *
 * @module
 */

/**
 * One entry of an architecture's flat cfg: a BN layer's channel count, or the marker `"M"`
 * (a layer without channels of its own, a pool) that pruning leaves where it is.
 */
export type CfgEntry = number | "M";

/** An architecture's parameter and FLOP counts of a flat cfg, for the report. */
export interface CfgCounts {
  /** Trainable parameters of the model of `cfg` with `numClasses` outputs. */
  params(cfg: readonly CfgEntry[], numClasses: number): number;
  /** FLOPs of one 32x32 forward pass of that model. */
  flops(cfg: readonly CfgEntry[], numClasses: number): number;
}

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
  readonly cfgBefore: CfgEntry[];
  /** The cfg after pruning: each channel count replaced by its kept channels. */
  readonly cfg: CfgEntry[];
  /** Trainable parameters before (the architecture's parameter count). */
  readonly paramsBefore: number;
  /** Trainable parameters after. */
  readonly paramsAfter: number;
  /** FLOPs of one 32x32 forward pass before (the architecture's FLOP count). */
  readonly flopsBefore: number;
  /** FLOPs of one 32x32 forward pass after. */
  readonly flopsAfter: number;
}

/** The channel counts of `cfg`, in order (its `"M"` markers left out). */
export function cfgChannels(cfg: readonly CfgEntry[]): number[] {
  return cfg.filter((v): v is number => v !== "M");
}

/** `cfg` with each channel count replaced by `kept`, in order, `"M"` markers unchanged. */
export function prunedCfg(cfg: readonly CfgEntry[], kept: readonly number[]): CfgEntry[] {
  let layer = 0;
  return cfg.map((v) => (v === "M" ? v : kept[layer++]));
}

/** The report of pruning `cfgBefore` to `kept` channels per layer, counted by `counts`. */
export function buildPruneReport(fields: {
  ratio: number;
  threshold: number;
  cfgBefore: readonly CfgEntry[];
  kept: readonly number[];
  guardedLayers: readonly number[];
  numClasses: number;
  counts: CfgCounts;
}): PruneReport {
  const channelsBefore = cfgChannels(fields.cfgBefore);
  const total = channelsBefore.reduce((a, b) => a + b, 0);
  const cfg = prunedCfg(fields.cfgBefore, fields.kept);
  const keptTotal = fields.kept.reduce((a, b) => a + b, 0);
  const { counts, numClasses } = fields;
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
    paramsBefore: counts.params(fields.cfgBefore, numClasses),
    paramsAfter: counts.params(cfg, numClasses),
    flopsBefore: counts.flops(fields.cfgBefore, numClasses),
    flopsAfter: counts.flops(cfg, numClasses),
  };
}
