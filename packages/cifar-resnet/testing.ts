/**
 * Test helpers for packages built on `@slimming/cifar-resnet`: small random specs
 * (fast-check arbitraries) and models with seeded random weights, running statistics and
 * gammas. Import it as `@slimming/cifar-resnet/testing`. Not for production code: it
 * depends on fast-check.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { type BatchNormState, createRng, type Rng } from "@slimming/tensor-utils";
import {
  type GammaKind,
  gammaValues,
  maxAbsDiff,
  randomImages,
  tensorOf,
} from "@slimming/tensor-utils/testing";
import { CIFAR_RESNET_ARCH, type CifarResnetPlanes, type CifarResnetSpec } from "./cfg.ts";
import { cifarResnetBlockShapes } from "./counts.ts";
import { cifarResnetForward } from "./forward.ts";
import {
  type BasicBlockParams,
  cifarResnetBatchNorms,
  type CifarResnetParams,
  cifarResnetWithRunningStats,
} from "./params.ts";

export type { GammaKind };

/** "distinct", "ties" or "constant" gammas. */
export const arbGammaKind: fc.Arbitrary<GammaKind> = fc.constantFrom<GammaKind>(
  "distinct",
  "ties",
  "constant",
);

/**
 * Random small specs: depth 8 or 14, stage widths 1 to `maxPlanes`, inner widths 1 to
 * `maxInner` (an unpruned model has inner = stage width; these need not).
 */
export function arbCifarResnetSpec(maxPlanes = 4, maxInner = 6): fc.Arbitrary<CifarResnetSpec> {
  return fc.tuple(
    fc.constantFrom(8, 14),
    fc.tuple(...[0, 1, 2].map(() => fc.integer({ min: 1, max: maxPlanes }))),
    fc.array(fc.integer({ min: 1, max: maxInner }), { minLength: 6, maxLength: 6 }),
  ).map(([depth, p, inner]) => {
    const planes: CifarResnetPlanes = [p[0], p[1], p[2]];
    const blocks = 3 * ((depth - 2) / 6);
    return { depth, planes, cfg: inner.slice(0, blocks) };
  });
}

function randomBn(n: number, rng: Rng, gamma?: Float32Array): BatchNormState {
  let i = 0;
  const draw = gamma ? () => gamma[i++] : () => 0.5 + rng.next();
  return {
    gamma: tensorOf([n], draw) as tf.Tensor1D,
    beta: tensorOf([n], () => rng.normal() * 0.2) as tf.Tensor1D,
    runningMean: tensorOf([n], () => rng.normal() * 0.3) as tf.Tensor1D,
    runningVar: tensorOf([n], () => 0.5 + rng.next()) as tf.Tensor1D,
  };
}

/**
 * A model of `spec` with seeded random parameters: the pruned BNs' (each block's bn1) gammas
 * drawn by `gammaValues(kind)`, the other BNs' gammas in [0.5, 1.5), random betas and
 * running statistics, conv weights N(0, sqrt(2 / fan-in)). New tensors the caller disposes.
 */
export function randomCifarResnet(
  spec: CifarResnetSpec,
  seed: number,
  kind: GammaKind = "distinct",
  numClasses = 10,
): CifarResnetParams {
  const rng = createRng(seed, 5);
  const conv = (k: number, i: number, o: number) =>
    tensorOf([k, k, i, o], () => rng.normal() * Math.sqrt(2 / (k * k * i))) as tf.Tensor4D;
  const shapes = cifarResnetBlockShapes(spec);
  const gammas = gammaValues(shapes.map((s) => s.inner), kind, seed);
  const residualBlocks = shapes.map((s, b): BasicBlockParams => ({
    conv1: conv(3, s.inWidth, s.inner),
    bn1: randomBn(s.inner, rng, gammas[b]),
    conv2: conv(3, s.inner, s.outWidth),
    bn2: randomBn(s.outWidth, rng),
    ...(s.projection
      ? { downsample: { conv: conv(1, s.inWidth, s.outWidth), bn: randomBn(s.outWidth, rng) } }
      : {}),
  }));
  const head = spec.planes[2];
  return {
    arch: CIFAR_RESNET_ARCH,
    depth: spec.depth,
    planes: [spec.planes[0], spec.planes[1], spec.planes[2]],
    cfg: [...spec.cfg],
    conv1: conv(3, 3, spec.planes[0]),
    bn1: randomBn(spec.planes[0], rng),
    residualBlocks,
    fc: {
      weight: tensorOf([head, numClasses], () => rng.normal() * 0.3) as tf.Tensor2D,
      bias: tensorOf([numClasses], () => rng.normal() * 0.1) as tf.Tensor1D,
    },
  };
}

/**
 * `params` with every BN's running statistics replaced by its batch statistics on `count`
 * seeded random images (one training-mode pass at BN momentum 1), so a deep random model's
 * eval-mode activations keep their scale (random running statistics let them grow block by
 * block, to logits of 1e5 in a ResNet-56). Takes `params` over: its old running statistics
 * are disposed, everything else moves to the result.
 */
export function calibrateRunningStats(
  params: CifarResnetParams,
  seed: number,
  count = 8,
): CifarResnetParams {
  const x = randomImages(count, seed);
  const out = cifarResnetForward(params, x, { training: true, bnMomentum: 1 });
  tf.dispose([x, out.logits]);
  for (const bn of cifarResnetBatchNorms(params)) tf.dispose([bn.runningMean, bn.runningVar]);
  return cifarResnetWithRunningStats(params, out.runningStats!);
}

export { maxAbsDiff, randomImages };
