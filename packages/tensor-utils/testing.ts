/**
 * Test helpers shared by the model packages' `testing` modules: seeded random tensors and
 * images, gamma values drawn for pruning tests, and an array comparison. Not for production
 * code.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRng, permutation } from "./rng.ts";

/** How a model's random gammas are drawn. */
export type GammaKind =
  /** All |gamma| distinct across the model, both signs, a fifth of them near zero. */
  | "distinct"
  /** Drawn from a few values (0, 1e-3, 0.3, 0.5 with either sign), so ties are common. */
  | "ties"
  /** Every gamma 0.5, as at initialisation (a model trained with lambda = 0 stays near it). */
  | "constant";

/** A tensor of `shape` filled by calling `draw` once per element. */
export function tensorOf(shape: readonly number[], draw: () => number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, draw), [...shape]);
}

/** Seeded gamma values of `kind` for BN layers of `widths` (one array per layer). */
export function gammaValues(
  widths: readonly number[],
  kind: GammaKind,
  seed: number,
): Float32Array[] {
  const rng = createRng(seed, 7);
  const total = widths.reduce((a, b) => a + b, 0);
  const order = permutation(total, rng);
  const sign = () => (rng.next() < 0.5 ? -1 : 1);
  const ladder = (rank: number) =>
    rank < total / 5 ? 1e-3 * (rank + 1) : 0.05 + (rank / total) * 1.5;
  const few = [0, 1e-3, 0.3, 0.5];
  let at = 0;
  return widths.map((n) =>
    Float32Array.from({ length: n }, () => {
      const rank = order[at++];
      if (kind === "constant") return 0.5;
      if (kind === "ties") return sign() * few[rng.int(few.length)];
      return sign() * ladder(rank);
    })
  );
}

/** Seeded random NHWC images [n, 32, 32, 3]. */
export function randomImages(n: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed, 11);
  return tensorOf([n, 32, 32, 3], () => rng.normal()) as tf.Tensor4D;
}

/** Largest absolute difference of two equally long arrays (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
