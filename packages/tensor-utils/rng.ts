/**
 * Seeded, splittable random numbers. Every random choice in a run (initialisation, data
 * order, augmentation) derives from the seed and a path of integers, so a resumed run
 * draws exactly what an uninterrupted one would, without saving generator state.
 *
 * @module
 */

/** A deterministic source of uniform floats in [0, 1). */
export interface Rng {
  /** Next uniform float in [0, 1). */
  next(): number;
  /** Next uniform integer in [0, n). */
  int(n: number): number;
  /** Next standard normal sample (Box-Muller). */
  normal(): number;
}

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit seed derived from a seed and a path of integers (hash, order-sensitive). */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const p of path) h = mix32(h ^ mix32((p >>> 0) + 0x7f4a7c15));
  return h;
}

/** A sfc32 generator seeded from `seed` and an optional path (see {@linkcode deriveSeed}). */
export function createRng(seed: number, ...path: number[]): Rng {
  const s = deriveSeed(seed, ...path);
  let a = s, b = mix32(s + 1), c = mix32(s + 2), d = 1;
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextU32();
  let spare: number | undefined;
  const next = () => nextU32() / 4294967296;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** A Fisher-Yates permutation of `0..n-1` drawn from `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
