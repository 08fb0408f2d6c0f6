/**
 * One report for a multi-pass prune: what the passes did together.
 *
 * @module
 */
import type { PruneReport } from "./report.ts";

/**
 * The reports of the passes of `multiPassPrune` as one: the first pass's "before" (cfg,
 * channels, params, FLOPs, total), the last pass's "after" (cfg, kept, params, FLOPs,
 * threshold), the requested per-pass `ratio`, channels pruned over all passes, and every
 * layer where the min-channels guard fired in any pass (ascending). Throws on no reports.
 */
export function mergePassReports(reports: readonly PruneReport[], ratio: number): PruneReport {
  if (reports.length === 0) throw new RangeError("mergePassReports: no pass reports");
  const first = reports[0];
  const last = reports[reports.length - 1];
  const keptTotal = last.kept.reduce((a, b) => a + b, 0);
  return {
    ratio,
    threshold: last.threshold,
    total: first.total,
    pruned: first.total - keptTotal,
    kept: [...last.kept],
    channelsBefore: [...first.channelsBefore],
    guardedLayers: [...new Set(reports.flatMap((r) => r.guardedLayers))].sort((a, b) => a - b),
    cfgBefore: [...first.cfgBefore],
    cfg: [...last.cfg],
    paramsBefore: first.paramsBefore,
    paramsAfter: last.paramsAfter,
    flopsBefore: first.flopsBefore,
    flopsAfter: last.flopsAfter,
  };
}
