/**
 * Per-λ statistics of |γ|: how many channels, how many below the near-zero limit, median
 * and largest |γ|.
 *
 * @module
 */
import { absoluteGammas } from "./gammas.ts";
import { countBelow, maximum, median } from "./histogram.ts";
import type { SparsityResult } from "./lab_types.ts";

/** |γ| below this count as "near zero" in the report (the paper's Fig. 4 shows most there). */
export const NEAR_ZERO = 1e-2;

/** |γ| statistics of one sparsity-trained model. */
export interface GammaSummary {
  readonly lambda: number;
  /** |γ| of all BN channels, or undefined without a readable checkpoint. */
  readonly absGammas?: Float64Array;
  readonly channels: number;
  readonly nearZero: number;
  readonly median: number;
  readonly max: number;
}

/** The statistics of each sparsity result, in the same order. */
export function summarizeGammas(results: readonly SparsityResult[]): GammaSummary[] {
  return results.map(({ lambda, run }) => {
    if (run?.gammas === undefined) {
      return { lambda, channels: 0, nearZero: 0, median: NaN, max: NaN };
    }
    const absGammas = absoluteGammas(run.gammas);
    return {
      lambda,
      absGammas,
      channels: absGammas.length,
      nearZero: countBelow(absGammas, NEAR_ZERO),
      median: median(absGammas),
      max: maximum(absGammas),
    };
  });
}
