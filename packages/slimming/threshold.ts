/**
 * The global |gamma| threshold of `vggprune.py`.
 *
 * @module
 */
import type { VggParams } from "@slimming/vgg";
import { absGammas } from "./gammas.ts";
import { type GammaThreshold, rankThreshold } from "./_ranking.ts";
import { validateRatio } from "./_validate.ts";

export type { GammaThreshold } from "./_ranking.ts";

/**
 * The pruning threshold of `vggprune.py`: every |gamma| of every BN layer in one list,
 * sorted ascending, `threshold = sorted[floor(total * ratio)]`. A channel is kept when
 * `|gamma| > threshold`; since the comparison is strict, the element at the index is itself
 * pruned, so `floor(total * ratio) + 1` channels go (more when other |gamma| tie with the
 * threshold). `ratio` must be a finite number in [0, 1), else a UsageError. Reads the gammas
 * synchronously (see `absGammas`).
 */
export function gammaThreshold(params: VggParams, ratio: number): GammaThreshold {
  validateRatio(ratio);
  return rankThreshold(absGammas(params), ratio);
}
