/**
 * Test helpers for packages built on `@slimming/resnet`: small random ResNet shapes
 * (fast-check arbitraries) and models with seeded random parameters, running statistics and
 * gammas. Import it as `@slimming/resnet/testing`. Not for production code: it depends on
 * fast-check.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { type BatchNormState, createRng, type Rng } from "@slimming/tensor-utils";
import { randomImages, tensorOf } from "@slimming/tensor-utils/testing";
import {
  blockInputWidths,
  RESNET_EXPANSION,
  RESNET_TAG,
  type ResnetCfg,
  type ResnetPlanes,
} from "./cfg.ts";
import { blockShapes } from "./counts.ts";
import type { BottleneckParams, ResnetParams } from "./params.ts";

/** The shape of a small random ResNet. */
export interface ResnetShape {
  readonly depth: number;
  readonly planes: ResnetPlanes;
  readonly cfg: number[];
}

/**
 * Random small shapes: depth 11 or 20, stage widths 1 to `maxPlanes`, inner (bn2/bn3) widths
 * 1 to `maxInner`, every channel selected.
 */
export function arbResnetShape(maxPlanes = 4, maxInner = 6): fc.Arbitrary<ResnetShape> {
  return fc.tuple(
    fc.constantFrom(11, 20),
    fc.tuple(...[0, 1, 2].map(() => fc.integer({ min: 1, max: maxPlanes }))),
    fc.array(fc.integer({ min: 1, max: maxInner }), { minLength: 12, maxLength: 12 }),
  ).map(([depth, p, inner]) => {
    const planes: ResnetPlanes = [p[0], p[1], p[2]];
    const cfg = blockInputWidths(depth, planes).flatMap((w, b) => [
      w,
      inner[(2 * b) % inner.length],
      inner[(2 * b + 1) % inner.length],
    ]);
    cfg.push(planes[2] * RESNET_EXPANSION);
    return { depth, planes, cfg };
  });
}

/** How {@linkcode randomResnetParams} draws the gammas. */
export type ResnetGammaKind = "distinct" | "ties";

function randomBn(n: number, rng: Rng, kind: ResnetGammaKind): BatchNormState {
  const few = [0, 1e-3, 0.3, 0.5];
  const gamma = () => {
    const sign = rng.next() < 0.5 ? -1 : 1;
    return sign * (kind === "ties" ? few[rng.int(few.length)] : 1e-3 + rng.next());
  };
  return {
    gamma: tensorOf([n], gamma) as tf.Tensor1D,
    beta: tensorOf([n], () => rng.normal() * 0.2) as tf.Tensor1D,
    runningMean: tensorOf([n], () => rng.normal() * 0.3) as tf.Tensor1D,
    runningVar: tensorOf([n], () => 0.5 + rng.next()) as tf.Tensor1D,
  };
}

/** A model of `shape` with seeded random parameters (every channel selected). */
export function randomResnetParams(
  shape: ResnetShape,
  seed: number,
  kind: ResnetGammaKind = "distinct",
  numClasses = 10,
): ResnetParams {
  const rng = createRng(seed, 5);
  const conv = (k: number, i: number, o: number) =>
    tensorOf([k, k, i, o], () => rng.normal() * Math.sqrt(2 / (k * k * i))) as tf.Tensor4D;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const cfg: ResnetCfg = shape.cfg;
  const blocks = blockShapes(cfg, shape.depth, shape.planes).map((s): BottleneckParams => ({
    bn1: randomBn(s.inWidth, rng, kind),
    select: range(s.cfg[0]),
    conv1: conv(1, s.cfg[0], s.cfg[1]),
    bn2: randomBn(s.cfg[1], rng, kind),
    conv2: conv(3, s.cfg[1], s.cfg[2]),
    bn3: randomBn(s.cfg[2], rng, kind),
    conv3: conv(1, s.cfg[2], s.outWidth),
    ...(s.downsample ? { downsample: conv(1, s.inWidth, s.outWidth) } : {}),
  }));
  const head = cfg[cfg.length - 1];
  return {
    arch: RESNET_TAG,
    depth: shape.depth,
    planes: shape.planes,
    cfg: [...cfg],
    conv1: conv(3, 3, shape.planes[0]),
    blocks,
    bn: randomBn(shape.planes[2] * RESNET_EXPANSION, rng, kind),
    select: range(head),
    fc: {
      weight: tensorOf([head, numClasses], () => rng.normal() * 0.3) as tf.Tensor2D,
      bias: tensorOf([numClasses], () => rng.normal() * 0.1) as tf.Tensor1D,
    },
  };
}

export { randomImages };
