/**
 * The synthetic lab's invented inputs: BN γ per λ (the larger λ, the more of them near
 * zero), checkpoints holding them, and training curves. Nothing here is computed by the
 * project's code; the fixture feeds these to the real functions.
 *
 * @module
 */
import { encodeSafetensors, f32, type NamedArray, type Rng } from "@slimming/tensor-utils/core";
import type { CfgItem, EpochRecord } from "@slimming/run-format";

function sampleGammas(rng: Rng, count: number, nearZeroShare: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = rng.next() < nearZeroShare
      ? rng.normal() * 0.004
      : Math.max(0.02, 0.45 + 0.15 * rng.normal()) * (rng.next() < 0.1 ? -1 : 1);
  }
  return out;
}

/** γ per BN layer for the `index`-th of `count` λ values (0 = least sparse). */
export function layerGammas(cfg: readonly CfgItem[], rng: Rng, index: number, count: number) {
  const widths = cfg.filter((c): c is number => typeof c === "number"); // the conv widths
  const share = count <= 1 ? 0.5 : (index / (count - 1)) * 0.7;
  const lastBlock = widths.length - 4;
  return widths.map((w, layer) =>
    sampleGammas(rng, w, index === count - 1 && layer >= lastBlock ? 0.97 : share)
  );
}

/** last.safetensors of a model of `cfg` with these γ, in the PyTorch reference's names. */
export function checkpoint(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  rng: Rng,
  convWeights: boolean,
): Uint8Array {
  const tensors: Record<string, NamedArray> = {};
  let feature = 0;
  let inChannels = 3;
  let layer = 0;
  for (const item of cfg) {
    if (item === "M") {
      feature++;
      continue;
    }
    if (convWeights) {
      const conv = new Float32Array(item * inChannels * 9).map(() => rng.normal() * 0.05);
      tensors[`feature.${feature}.weight`] = f32([item, inChannels, 3, 3], conv);
    }
    const bn = feature + 1;
    tensors[`feature.${bn}.weight`] = f32([item], gammas[layer]);
    tensors[`feature.${bn}.bias`] = f32([item], new Float32Array(item).fill(0.01));
    tensors[`feature.${bn}.running_mean`] = f32([item], new Float32Array(item));
    tensors[`feature.${bn}.running_var`] = f32([item], new Float32Array(item).fill(1));
    inChannels = item;
    feature += 3;
    layer++;
  }
  tensors["classifier.weight"] = f32([10, inChannels], new Float32Array(10 * inChannels));
  tensors["classifier.bias"] = f32([10], new Float32Array(10));
  return encodeSafetensors(tensors, { cfg: JSON.stringify(cfg) });
}

/** Invented training curves: `epochs` records rising from `start` towards `end`. */
export function history(
  rng: Rng,
  epochs: number,
  start: number,
  end: number,
  speed: number,
): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const progress = 1 - Math.exp(-(i + 1) / speed);
    const test = start + (end - start) * progress + rng.normal() * 0.4;
    const train = Math.min(99.5, test + 2 + 4 * progress + rng.normal() * 0.3);
    return {
      epoch: i + 1,
      trainLoss: Number((2.3 * (1 - progress) + 0.05).toFixed(4)),
      trainAcc: Number(train.toFixed(2)),
      testLoss: Number((2.3 * (1 - progress) + 0.3).toFixed(4)),
      testAcc: Number(test.toFixed(2)),
      lr: 0.1,
      seconds: 30 + rng.next() * 5,
      imagesPerSecond: 1600 + rng.next() * 100,
    };
  });
}

/**
 * Fixture input: test accuracy of the masked, the slim and the BN-recalibrated slim model after
 * pruning at `ratio` a model of accuracy `before` (invented numbers: no model is evaluated). A
 * prune of 85% or more collapses to chance (and recalibration brings much of it back), so the
 * report's collapse, recalibration and recovery findings appear.
 */
export function fixturePruneAccuracy(
  ratio: number,
  before: number,
): { masked: number; slim: number; recalibrated: number } {
  return ratio >= 0.85
    ? { masked: 10.37, slim: 10, recalibrated: 41.5 }
    : { masked: before - 0.21, slim: before - 0.43, recalibrated: before - 0.3 };
}

/**
 * Fixture input: a sweep point's accuracies for the `lambdaIndex`-th of `count` λ models (0:
 * λ = 0). The curve holds to a knee that moves right as λ grows (30% for λ = 0, 70% for the
 * largest), then falls towards chance; the slim model falls 15 points sooner.
 */
export function fixtureSweepAccuracy(
  ratio: number,
  before: number,
  lambdaIndex: number,
  count: number,
): { slim: number; recalibrated: number } {
  const knee = 0.3 + (count <= 1 ? 0 : (0.4 * lambdaIndex) / (count - 1));
  const fall = (k: number) =>
    ratio <= k ? before - 3 * ratio : Math.max(10, before - 3 * k - 160 * (ratio - k));
  return {
    slim: Number(fall(knee - 0.15).toFixed(2)),
    recalibrated: Number(fall(knee).toFixed(2)),
  };
}

/** Fixture input: training images of the fixture's BN recalibration. */
export const FIXTURE_RECALIBRATION_IMAGES = 1500;

/** Fixture input: measured images/s of the unpruned model (invented). */
export const FIXTURE_IMAGES_PER_SECOND: number = 2410.5;
