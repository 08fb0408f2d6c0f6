/**
 * One report for a multi-pass prune, and one set of keep masks: what the passes did together.
 *
 * @module
 */
import type { PruneReport } from "./report.ts";

/**
 * The reports of the passes of a multi-pass prune as one: the first pass's "before" (cfg,
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

/**
 * The keep masks of two passes as one over the first pass's model: `earlier[i]` is over the
 * original layer; `later[i]` is over what pass two saw of it, either the same full width (a
 * BN kept whole behind a channel selection: a channel stays only if both keep it) or just
 * the channels `earlier[i]` kept, in order (a physically narrowed layer). When every channel
 * was kept the two readings agree. Any other length is a RangeError.
 */
export function composeMasks(
  earlier: readonly (readonly boolean[])[],
  later: readonly (readonly boolean[])[],
): boolean[][] {
  if (earlier.length !== later.length) {
    throw new RangeError(`composeMasks: ${earlier.length} and ${later.length} layers`);
  }
  return earlier.map((first, i) => {
    const second = later[i];
    if (second.length === first.length) return first.map((keep, c) => keep && second[c]);
    const kept = first.flatMap((keep, c) => (keep ? [c] : []));
    if (second.length !== kept.length) {
      throw new RangeError(
        `composeMasks: layer ${i} has ${second.length} entries for ${first.length} channels ` +
          `of which ${kept.length} were kept`,
      );
    }
    const out = new Array<boolean>(first.length).fill(false);
    kept.forEach((c, j) => (out[c] = second[j]));
    return out;
  });
}
