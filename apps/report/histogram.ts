/**
 * Equal-width binning and the few summary statistics the report prints for |γ|.
 *
 * @module
 */

/** One histogram bin: values in [x0, x1) (the last bin also holds x1). */
export interface Bin {
  readonly x0: number;
  readonly x1: number;
  readonly count: number;
}

/**
 * `bins` equal-width bins over `[lo, hi]`. Values below `lo` or above `hi` go to the end
 * bins; NaN is skipped. The counts always sum to the number of non-NaN values.
 */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Bin[] {
  if (!(bins >= 1) || !Number.isInteger(bins)) throw new RangeError(`bins must be ≥ 1: ${bins}`);
  if (!(hi > lo)) hi = lo + 1;
  const width = (hi - lo) / bins;
  const edge = (k: number) => k === bins ? hi : lo + k * width;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let k = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    // Rounding in the division can land one bin off; the edges decide.
    if (k > 0 && v < edge(k)) k--;
    else if (k < bins - 1 && v >= edge(k + 1)) k++;
    counts[k]++;
  }
  return counts.map((count, k) => ({ x0: edge(k), x1: edge(k + 1), count }));
}

/** How many values are strictly below `limit`. */
export function countBelow(values: ArrayLike<number>, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < limit) n++;
  return n;
}

/** The median (mean of the middle two for an even count), or NaN for no values. */
export { median } from "@slimming/tensor-utils/core";

/** The largest value (NaN skipped), or NaN for no values. */
export function maximum(values: ArrayLike<number>): number {
  let max = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && !(v <= max)) max = v;
  }
  return max;
}
