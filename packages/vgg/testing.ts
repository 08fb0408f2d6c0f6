/**
 * Test helpers for the packages built on `@slimming/vgg`: random valid cfgs (fast-check
 * arbitraries), models of a cfg with seeded random parameters (gammas distinct, tied or
 * constant), seeded random images and small comparison helpers. The one place where tests
 * build random models; import it as `@slimming/vgg/testing` (inside this package,
 * `./testing.ts`). Not for production code: it depends on fast-check.
 *
 * ```ts ignore
 * import { randomImages, randomParams } from "@slimming/vgg/testing";
 *
 * const params = randomParams([4, "M", 6, "M", "M", "M", 2], 1, "ties");
 * const x = randomImages(2, 1);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { createRng, disposeTree, permutation } from "@slimming/tensor-utils";
import { type Cfg, type CfgItem, convChannels } from "./cfg.ts";
import type { VggParams } from "./params.ts";

/** A cfg of the given conv widths with 4 max-pools, pool j placed after conv `after[j]`. */
export function cfgOf(convs: readonly number[], after: readonly number[]): CfgItem[] {
  const cfg: CfgItem[] = [];
  convs.forEach((c, k) => {
    cfg.push(c);
    for (const a of after) if (a % convs.length === k) cfg.push("M");
  });
  return cfg;
}

/** The reference's `defaultcfg` (models/vgg.py), written out independently of cfg.ts. */
export const REFERENCE_CFGS: Record<number, CfgItem[]> = {
  11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
  19: [
    ...[64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"] as CfgItem[],
    ...[512, 512, 512, 512, "M", 512, 512, 512, 512] as CfgItem[],
  ],
};

/** Random valid 32x32 cfgs: 1 to `maxConvs` conv layers of 1 to `maxChannels`, 4 pools. */
export function arbCfg(maxConvs = 4, maxChannels = 12): fc.Arbitrary<CfgItem[]> {
  return fc.tuple(
    fc.array(fc.integer({ min: 1, max: maxChannels }), { minLength: 1, maxLength: maxConvs }),
    fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  ).map(([convs, after]) => cfgOf(convs, after));
}

/**
 * Random valid 32x32 cfgs: five stages of conv layers (1 to 4 in the first, 0 to 4 in the
 * others, 1 to 6 channels each) separated by exactly four "M", so 32x32 ends at 2x2. Unlike
 * {@linkcode arbCfg}, deep cfgs (up to 20 convs) and consecutive pools are common.
 */
export const arbStagedCfg: fc.Arbitrary<CfgItem[]> = fc.tuple(
  fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  fc.array(fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }), {
    minLength: 4,
    maxLength: 4,
  }),
).map(([first, rest]) => [...first, ...rest.flatMap((stage) => ["M" as const, ...stage])]);

/** How {@linkcode randomParams} draws the gammas. */
export type GammaKind =
  /** All |gamma| distinct across the model, both signs, a fifth of them near zero. */
  | "distinct"
  /** Drawn from a few values (0, 1e-3, 0.3, 0.5 with either sign), so ties are common. */
  | "ties"
  /** Every gamma 0.5, as at initialisation (a model trained with lambda = 0 stays near it). */
  | "constant";

/** Ratios in [0, 1), such as a pruning ratio. */
export const arbRatio: fc.Arbitrary<number> = fc.double({
  min: 0,
  max: 1,
  maxExcluded: true,
  noNaN: true,
});

/** Any {@linkcode GammaKind}. */
export const arbGammaKind: fc.Arbitrary<GammaKind> = fc.constantFrom<GammaKind>(
  "distinct",
  "ties",
  "constant",
);

function tensorOf(shape: number[], draw: () => number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, draw), shape);
}

function gammaValues(cfg: Cfg, kind: GammaKind, seed: number): Float32Array[] {
  const rng = createRng(seed, 7);
  const channels = convChannels(cfg);
  const total = channels.reduce((a, b) => a + b, 0);
  const order = permutation(total, rng);
  const sign = () => (rng.next() < 0.5 ? -1 : 1);
  const ladder = (rank: number) =>
    rank < total / 5 ? 1e-3 * (rank + 1) : 0.05 + (rank / total) * 1.5;
  const few = [0, 1e-3, 0.3, 0.5];
  let at = 0;
  return channels.map((n) =>
    Float32Array.from({ length: n }, () => {
      const rank = order[at++];
      if (kind === "constant") return 0.5;
      if (kind === "ties") return sign() * few[rng.int(few.length)];
      return sign() * ladder(rank);
    })
  );
}

/** A model of `cfg` with seeded random parameters and running statistics (variance > 0). */
export function randomParams(
  cfg: Cfg,
  seed: number,
  kind: GammaKind = "distinct",
  numClasses = 10,
): VggParams {
  const rng = createRng(seed, 3);
  const gammas = gammaValues(cfg, kind, seed);
  let inChannels = 3;
  const features = convChannels(cfg).map((out, i) => {
    const std = Math.sqrt(2 / (9 * inChannels));
    const weight = tensorOf([3, 3, inChannels, out], () => rng.normal() * std) as tf.Tensor4D;
    inChannels = out;
    return {
      conv: { weight },
      bn: {
        gamma: tf.tensor1d(gammas[i]),
        beta: tensorOf([out], () => rng.normal() * 0.2) as tf.Tensor1D,
        runningMean: tensorOf([out], () => rng.normal() * 0.3) as tf.Tensor1D,
        runningVar: tensorOf([out], () => 0.5 + rng.next()) as tf.Tensor1D,
      },
    };
  });
  return {
    cfg: [...cfg],
    features,
    classifier: {
      weight: tensorOf([inChannels, numClasses], () => rng.normal() * 0.3) as tf.Tensor2D,
      bias: tensorOf([numClasses], () => rng.normal() * 0.1) as tf.Tensor1D,
    },
  };
}

/** Runs `fn` on {@linkcode randomParams}`(cfg, seed, kind)` and disposes the model afterwards. */
export function withRandomParams<T>(
  cfg: Cfg,
  seed: number,
  kind: GammaKind,
  fn: (params: VggParams) => T,
): T {
  const params = randomParams(cfg, seed, kind);
  try {
    return fn(params);
  } finally {
    disposeTree(params);
  }
}

/** |gamma| of each layer as plain arrays, read directly from the tree (a test oracle). */
export function absPerLayer(params: VggParams): number[][] {
  return params.features.map((l) => Array.from(l.bn.gamma.dataSync(), Math.abs));
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

/** Every tensor leaf of a model as plain arrays, by name, for before/after comparisons. */
export function snapshot(params: VggParams): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  params.features.forEach((layer, i) => {
    out[`${i}.weight`] = Array.from(layer.conv.weight.dataSync());
    for (const [k, t] of Object.entries(layer.bn)) out[`${i}.${k}`] = Array.from(t.dataSync());
  });
  out["classifier.weight"] = Array.from(params.classifier.weight.dataSync());
  out["classifier.bias"] = Array.from(params.classifier.bias.dataSync());
  return out;
}
