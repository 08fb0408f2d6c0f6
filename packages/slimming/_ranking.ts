/**
 * Channel ranking on plain arrays of |gamma|: the global threshold and per-layer keep masks.
 * No tensors here.
 *
 * @module
 */

/** The global threshold over all layers' |gamma| (see `thresholdFromAbsGammas`). */
export interface GammaThreshold {
  /** |gamma| at `index` of `sorted`; channels with |gamma| strictly above it are kept. */
  readonly threshold: number;
  /** Number of BN channels over all layers. */
  readonly total: number;
  /** floor(total * ratio), the position of the threshold in `sorted`. */
  readonly index: number;
  /** Every |gamma| of every layer, ascending. */
  readonly sorted: Float32Array;
}

/** The threshold at `ratio` (already validated) of the concatenated |gamma| of all layers. */
export function rankThreshold(abs: readonly Float32Array[], ratio: number): GammaThreshold {
  const total = abs.reduce((n, a) => n + a.length, 0);
  const sorted = new Float32Array(total);
  let at = 0;
  for (const a of abs) {
    sorted.set(a, at);
    at += a.length;
  }
  sorted.sort();
  const index = Math.floor(total * ratio);
  return { threshold: sorted[index], total, index, sorted };
}

/** Keep mask of one layer: |gamma| > threshold. */
export function thresholdMask(abs: Float32Array, threshold: number): boolean[] {
  return Array.from(abs, (v) => v > threshold);
}

/**
 * Keep mask of the `k` largest |gamma| of one layer; ties go to the lower channel index, so
 * the choice is deterministic. `k` larger than the layer keeps every channel.
 */
export function largestMask(abs: Float32Array, k: number): boolean[] {
  const order = Array.from(abs, (_, c) => c);
  order.sort((a, b) => abs[b] - abs[a] || a - b);
  const mask = new Array<boolean>(abs.length).fill(false);
  for (const c of order.slice(0, k)) mask[c] = true;
  return mask;
}

/** Number of kept channels in a mask. */
export function countKept(mask: readonly boolean[]): number {
  let n = 0;
  for (const keep of mask) if (keep) n++;
  return n;
}

/** Per-layer masks after raising every layer to at least `floors[i]` kept channels. */
export interface FlooredMasks {
  readonly masks: boolean[][];
  readonly kept: number[];
  /** Kept per layer by the threshold alone, before any floor. */
  readonly thresholdKept: number[];
}

/**
 * Threshold masks where a layer keeping fewer than `floors[i]` channels keeps its
 * `floors[i]` largest |gamma| instead (a superset of its threshold mask).
 */
export function flooredMasks(
  abs: readonly Float32Array[],
  threshold: number,
  floors: readonly number[],
): FlooredMasks {
  const thresholdKept: number[] = [];
  const masks = abs.map((layer, i) => {
    const mask = thresholdMask(layer, threshold);
    const kept = countKept(mask);
    thresholdKept.push(kept);
    return kept < floors[i] ? largestMask(layer, floors[i]) : mask;
  });
  return { masks, kept: masks.map(countKept), thresholdKept };
}

/** Layers whose threshold count fell below their floor. */
export function raisedLayers(
  thresholdKept: readonly number[],
  floors: readonly number[],
): number[] {
  return thresholdKept.flatMap((kept, i) => (kept < floors[i] ? [i] : []));
}

/** The guard's floor for a layer of `channels` channels. */
export function guardFloor(channels: number, minChannels: number): number {
  return Math.min(channels, minChannels);
}
