/**
 * Test helpers for the packages built on `@slimming/densenet`: random small specs
 * (fast-check arbitraries), models of a spec with seeded random parameters (gammas
 * distinct, tied or constant; random channel selections for pruned shapes) and seeded
 * random images. Import it as `@slimming/densenet/testing`. Not for production code: it
 * depends on fast-check.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { createRng, permutation } from "@slimming/tensor-utils";
import {
  type GammaKind,
  gammaValues,
  maxAbsDiff,
  randomImages,
  tensorOf,
} from "@slimming/tensor-utils/testing";
import { denseLayersPerBlock, DENSENET_TAG, densenetBnWidths, type DensenetSpec } from "./cfg.ts";
import type { DensenetParams, DensenetUnit, SelectedBn } from "./params.ts";

/** How {@linkcode randomDensenet} draws the gammas. */
export type { GammaKind };

/** Any {@linkcode GammaKind}. */
export const arbGammaKind: fc.Arbitrary<GammaKind> = fc.constantFrom<GammaKind>(
  "distinct",
  "ties",
  "constant",
);

/** Small unpruned specs: depth 7 or 10, growth rate 1 to 4. */
export const arbFullSpec: fc.Arbitrary<DensenetSpec> = fc.tuple(
  fc.constantFrom(7, 10),
  fc.integer({ min: 1, max: 4 }),
).map(([depth, growthRate]) => ({
  depth,
  growthRate,
  cfg: densenetBnWidths(depth, growthRate),
}));

/** Small specs with any kept counts (1 to the BN width per entry), depth 7, 10 or 13. */
export const arbSpec: fc.Arbitrary<DensenetSpec> = fc.tuple(
  fc.constantFrom(7, 10, 13),
  fc.integer({ min: 1, max: 5 }),
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
).map(([depth, growthRate, fractions]) => {
  const widths = densenetBnWidths(depth, growthRate);
  const cfg = widths.map((w, i) => 1 + Math.floor(fractions[i % 12] * w * 0.999));
  return { depth, growthRate, cfg };
});

/**
 * A model of `spec` with seeded random parameters and running statistics (variance > 0);
 * each selection keeps a random `cfg[i]` of its BN's channels (all of them when cfg[i] is
 * the full width).
 */
export function randomDensenet(
  spec: DensenetSpec,
  seed: number,
  kind: GammaKind = "distinct",
  numClasses = 10,
): DensenetParams {
  const rng = createRng(seed, 3);
  const { depth, growthRate: g, cfg } = spec;
  const n = denseLayersPerBlock(depth);
  const widths = densenetBnWidths(depth, g);
  const gammas = gammaValues(widths, kind, seed);
  const selectedBn = (i: number): SelectedBn => ({
    bn: {
      gamma: tf.tensor1d(gammas[i]),
      beta: tensorOf([widths[i]], () => rng.normal() * 0.2) as tf.Tensor1D,
      runningMean: tensorOf([widths[i]], () => rng.normal() * 0.3) as tf.Tensor1D,
      runningVar: tensorOf([widths[i]], () => 0.5 + rng.next()) as tf.Tensor1D,
    },
    selected: Array.from(permutation(widths[i], rng).slice(0, cfg[i])).sort((a, b) => a - b),
  });
  const unit = (i: number, k: number, out: number): DensenetUnit => {
    const std = Math.sqrt(2 / (k * k * cfg[i]));
    const weight = tensorOf([k, k, cfg[i], out], () => rng.normal() * std) as tf.Tensor4D;
    return { ...selectedBn(i), conv: { weight } };
  };
  const conv1 = { weight: tensorOf([3, 3, 3, 2 * g], () => rng.normal() * 0.5) as tf.Tensor4D };
  const dense: DensenetUnit[][] = [];
  const trans: DensenetUnit[] = [];
  for (let b = 0; b < 3; b++) {
    dense.push(Array.from({ length: n }, (_, i) => unit(b * (n + 1) + i, 3, g)));
    if (b < 2) trans.push(unit(b * (n + 1) + n, 1, widths[b * (n + 1) + n]));
  }
  const last = widths.length - 1;
  return {
    arch: DENSENET_TAG,
    depth,
    growthRate: g,
    cfg: [...cfg],
    conv1,
    dense,
    trans,
    final: selectedBn(last),
    fc: {
      weight: tensorOf([cfg[last], numClasses], () => rng.normal() * 0.3) as tf.Tensor2D,
      bias: tensorOf([numClasses], () => rng.normal() * 0.1) as tf.Tensor1D,
    },
  };
}

export { maxAbsDiff, randomImages };
