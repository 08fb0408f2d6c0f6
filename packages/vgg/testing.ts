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
import { createRng, disposeTree } from "@slimming/tensor-utils";
import {
  type GammaKind,
  gammaValues,
  maxAbsDiff,
  randomImages,
  tensorOf,
} from "@slimming/tensor-utils/testing";
import { type Cfg, type CfgItem, convChannels, VGG_TAG } from "./cfg.ts";
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
export type { GammaKind };

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

/** A model of `cfg` with seeded random parameters and running statistics (variance > 0). */
export function randomParams(
  cfg: Cfg,
  seed: number,
  kind: GammaKind = "distinct",
  numClasses = 10,
): VggParams {
  const rng = createRng(seed, 3);
  const gammas = gammaValues(convChannels(cfg), kind, seed);
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
    arch: VGG_TAG,
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

export { maxAbsDiff, randomImages };

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
