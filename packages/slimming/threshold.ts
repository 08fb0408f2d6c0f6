/**
 * The reference's global |gamma| threshold over every BN layer of a network.
 *
 * @module
 */
import { type GammaThreshold, rankThreshold } from "./_ranking.ts";
import { validateRatio } from "./_validate.ts";

export type { GammaThreshold } from "./_ranking.ts";

/**
 * The reference's pruning threshold on |gamma| arrays (one per BN layer): every |gamma| in
 * one list, sorted ascending, `threshold = sorted[floor(total * ratio)]`. A channel is kept
 * when `|gamma| > threshold`; since the comparison is strict, the element at the index is
 * itself pruned, so `floor(total * ratio) + 1` channels go (more when other |gamma| tie with
 * the threshold). `ratio` must be a finite number in [0, 1), else a UsageError.
 */
export function thresholdFromAbsGammas(
  abs: readonly Float32Array[],
  ratio: number,
): GammaThreshold {
  validateRatio(ratio);
  return rankThreshold(abs, ratio);
}
