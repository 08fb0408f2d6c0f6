/**
 * Physical pruning (`vggprune.py`): a smaller model holding copies of the kept weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UsageError } from "@slimming/tensor-utils";
import type { CfgItem, ConvBnParams, VggParams } from "@slimming/vgg";
import { absGammas } from "./gammas.ts";
import { checkMasksFit } from "./_masks_check.ts";
import { pruneDecision } from "./selection.ts";
import { validateMinChannels, validateRatio } from "./_validate.ts";
import { buildPruneReport, prunedCfg, type PruneReport } from "./report.ts";

/** Options of {@linkcode prune}. */
export interface PruneOptions {
  /** Fewest channels any layer keeps (default 1); see `channelMasks`. */
  readonly minChannels?: number;
}

/** A pruned model, its cfg, the masks that made it and the report. */
export interface PruneResult {
  /** The smaller model; new tensors the caller disposes. */
  readonly params: VggParams;
  /** The smaller model's cfg. */
  readonly cfg: CfgItem[];
  /** Per layer, per original channel: whether it was kept. */
  readonly masks: boolean[][];
  /** What the step did. */
  readonly report: PruneReport;
}

function keptIndices(mask: readonly boolean[]): number[] {
  return mask.flatMap((keep, c) => (keep ? [c] : []));
}

function gatherKept<T extends tf.Tensor>(x: T, indices: readonly number[], axis: number): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d([...indices], "int32"), axis) as T);
}

/**
 * The physically smaller model keeping, per BN layer, the channels whose mask entry is true:
 * each conv's output channels by its layer's mask and input channels by the previous layer's
 * (the first layer keeps its 3 image channels), the BN gamma, beta, running mean and running
 * variance, and the classifier's input rows. Every kept value is copied into new tensors;
 * `params` is not changed. Masks that do not fit, or that leave a layer empty, are a
 * UsageError.
 */
export function pruneWithMasks(
  params: VggParams,
  masks: readonly (readonly boolean[])[],
): VggParams {
  checkMasksFit(params, masks);
  const indices = masks.map(keptIndices);
  const empty = indices.findIndex((kept) => kept.length === 0);
  if (empty >= 0) {
    throw new UsageError(`pruning would leave BN layer ${empty} with no channels`);
  }
  const features = params.features.map((layer, i): ConvBnParams => {
    const previous = i > 0 ? indices[i - 1] : undefined;
    const weight = tf.tidy(() => {
      const byOutput = gatherKept(layer.conv.weight, indices[i], 3);
      return previous ? gatherKept(byOutput, previous, 2) : byOutput;
    });
    const bn = layer.bn;
    return {
      conv: { weight },
      bn: {
        gamma: gatherKept(bn.gamma, indices[i], 0),
        beta: gatherKept(bn.beta, indices[i], 0),
        runningMean: gatherKept(bn.runningMean, indices[i], 0),
        runningVar: gatherKept(bn.runningVar, indices[i], 0),
      },
    };
  });
  const classifier = {
    weight: gatherKept(params.classifier.weight, indices[indices.length - 1], 0),
    bias: params.classifier.bias.clone(),
  };
  return {
    arch: params.arch,
    cfg: prunedCfg(params.cfg, indices.map((k) => k.length)),
    features,
    classifier,
  };
}

/** Masks, guard and fields shared by the one-pass pruning functions. */
export interface PruneDecision {
  readonly masks: boolean[][];
  readonly threshold: number;
  readonly guardedLayers: number[];
}

/** Builds the result of pruning `params` by `decision` at `ratio`. */
export function pruneByDecision(
  params: VggParams,
  ratio: number,
  decision: PruneDecision,
): PruneResult {
  const slim = pruneWithMasks(params, decision.masks);
  const report = buildPruneReport({
    ratio,
    threshold: decision.threshold,
    cfgBefore: params.cfg,
    kept: decision.masks.map((m) => m.filter(Boolean).length),
    guardedLayers: decision.guardedLayers,
    numClasses: params.classifier.weight.shape[1],
  });
  return { params: slim, cfg: [...slim.cfg], masks: decision.masks, report };
}

/**
 * {@linkcode prune} on |gamma| arrays already read (`absGammas` or, on a backend without
 * synchronous reads, `await absGammasAsync(params)`); `abs` must come from `params`.
 */
export function pruneFromAbsGammas(
  params: VggParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: PruneOptions = {},
): PruneResult {
  validateRatio(ratio);
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const { masks, threshold, guardedLayers } = pruneDecision(abs, ratio, { minChannels });
  return pruneByDecision(params, ratio, { masks, threshold, guardedLayers });
}

/**
 * One-shot Network Slimming pruning at a global `ratio` in [0, 1): the threshold of
 * `gammaThreshold`, the masks of `channelMasks` (guarded by `minChannels`, default 1) and
 * the smaller model of {@linkcode pruneWithMasks}. Without guard or ties this removes
 * floor(total * ratio) + 1 channels. `params` is unchanged; the result's tensors are new.
 * Reads the gammas synchronously (see `absGammas`).
 */
export function prune(params: VggParams, ratio: number, options: PruneOptions = {}): PruneResult {
  validateRatio(ratio);
  return pruneFromAbsGammas(params, absGammas(params), ratio, options);
}
