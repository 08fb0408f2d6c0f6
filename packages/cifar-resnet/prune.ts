/**
 * Network Slimming pruning of the CIFAR ResNet (basic blocks): the descriptor's prune adapter.
 * The reference (Eric-mingjie/network-slimming) has no script for this network; this follows
 * `resprune.py`'s rules where they apply (one global threshold over the ranked BNs, the
 * residual stream kept whole).
 *
 * Which BNs are pruned: each block's bn1 only, i.e. the block's inner channels (conv1's
 * outputs, bn1, conv2's inputs). The residual stream (the stem, every conv2/bn2 output, the
 * projection shortcuts) keeps its width: all blocks of a stage add into one tensor, so
 * dropping a channel there would need every block of the stage, and the shortcut feeding
 * it, to drop the same channel, which a per-channel |gamma| threshold does not give. So the
 * sparsity term and the global ranking cover exactly the bn1 gammas (the model's `.gamma`
 * trainables), and the masks are one per block, over its bn1's channels.
 *
 * The threshold is the reference's: all bn1 |gamma| sorted ascending, `thre =
 * sorted[floor(total * ratio)]`, keep |gamma| > thre; then the `minChannels` guard (a block
 * keeping fewer keeps its largest instead; the reference would crash on an emptied layer),
 * and optionally a multi-pass step's per-layer cap or rounding kept counts up to a multiple
 * of N (`stepDecision`). The masked model zeroes gamma and beta of every pruned bn1 channel
 * (its ReLU output is then 0, so conv2 never sees it); the slim model copies every kept
 * weight into physically smaller tensors and computes the same function. A pruned model
 * prunes again (multi-pass): its narrower bn1s are simply ranked as they are.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, UsageError } from "@slimming/tensor-utils";
import {
  type PassPruner,
  stepDecision,
  type StepOptions,
  type StepReport,
  validateRatio,
} from "@slimming/slimming";
import { cifarResnetBnLabels } from "./cfg.ts";
import { countCifarResnetFlops, countCifarResnetParams } from "./counts.ts";
import { type BasicBlockParams, type CifarResnetParams, slimmedBatchNorms } from "./params.ts";

/** A pruned CIFAR ResNet, its cfg, the masks that made it and the report. */
export interface CifarResnetPruneResult {
  /** The slim model; new tensors the caller disposes. */
  readonly params: CifarResnetParams;
  /** The slim model's cfg (kept inner channels per block). */
  readonly cfg: number[];
  /** Per block (cfg order), per channel of its bn1: whether it is kept. */
  readonly masks: boolean[][];
  readonly report: StepReport;
  /** With `roundTo` > 1: kept channels per block before rounding. */
  readonly keptBeforeRounding?: number[];
}

/**
 * Options of {@linkcode pruneCifarResnetFromAbsGammas}: the guard (`minChannels`, default 1;
 * 0 turns it off, as in the reference), a multi-pass step's per-layer cap (`maxLayerRatio`)
 * and rounding each block's kept count up to a multiple of `roundTo`.
 */
export type CifarResnetPruneOptions = StepOptions;

/**
 * |gamma| of every block's bn1 (cfg order), read asynchronously so it works on every
 * backend. A NaN or infinite gamma is a UsageError naming the layer.
 */
export async function cifarResnetAbsGammas(params: CifarResnetParams): Promise<Float32Array[]> {
  const labels = cifarResnetBnLabels(params.depth);
  const out: Float32Array[] = [];
  for (const [i, bn] of slimmedBatchNorms(params).entries()) {
    const gamma = await bn.gamma.data();
    out.push(Float32Array.from(gamma, (v, c) => {
      if (!Number.isFinite(v)) {
        throw new UsageError(
          `BN gamma ${c} of ${labels[i]} is ${v}: cannot rank channels of a diverged model`,
        );
      }
      return Math.abs(v);
    }));
  }
  return out;
}

function checkMasks(params: CifarResnetParams, masks: readonly (readonly boolean[])[]): void {
  const blocks = params.residualBlocks;
  if (masks.length !== blocks.length) {
    throw new UsageError(`${masks.length} masks for ${blocks.length} pruned BN layers`);
  }
  masks.forEach((mask, b) => {
    const width = blocks[b].bn1.gamma.shape[0];
    if (mask.length !== width) {
      throw new UsageError(`mask ${b} has ${mask.length} entries for ${width} channels`);
    }
  });
}

const keptOf = (mask: readonly boolean[]): number[] => mask.flatMap((k, c) => (k ? [c] : []));

function gather<T extends tf.Tensor>(x: T, indices: readonly number[], axis: number): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d([...indices], "int32"), axis) as T);
}

function cloneBn(bn: BatchNormState): BatchNormState {
  return {
    gamma: bn.gamma.clone(),
    beta: bn.beta.clone(),
    runningMean: bn.runningMean.clone(),
    runningVar: bn.runningVar.clone(),
  };
}

/** Copies of everything but the blocks' conv1, bn1 and conv2. */
function cloneRest(block: BasicBlockParams) {
  return {
    bn2: cloneBn(block.bn2),
    ...(block.downsample
      ? { downsample: { conv: block.downsample.conv.clone(), bn: cloneBn(block.downsample.bn) } }
      : {}),
  };
}

function cloneOuter(params: CifarResnetParams) {
  return {
    conv1: params.conv1.clone(),
    bn1: cloneBn(params.bn1),
    fc: { weight: params.fc.weight.clone(), bias: params.fc.bias.clone() },
  };
}

/**
 * The masked model: `params` with gamma and beta of every pruned bn1 channel zeroed (one
 * mask per block, over its bn1's channels); shapes unchanged, every tensor of the result new.
 */
export function maskCifarResnet(
  params: CifarResnetParams,
  masks: readonly (readonly boolean[])[],
): CifarResnetParams {
  checkMasks(params, masks);
  const residualBlocks = params.residualBlocks.map((block, b): BasicBlockParams => {
    const keep = tf.tensor1d(masks[b].map((k) => (k ? 1 : 0)), "float32");
    const bn1: BatchNormState = {
      gamma: tf.mul(block.bn1.gamma, keep) as tf.Tensor1D,
      beta: tf.mul(block.bn1.beta, keep) as tf.Tensor1D,
      runningMean: block.bn1.runningMean.clone(),
      runningVar: block.bn1.runningVar.clone(),
    };
    keep.dispose();
    return {
      conv1: block.conv1.clone(),
      bn1,
      conv2: block.conv2.clone(),
      ...cloneRest(block),
    };
  });
  return { ...params, cfg: [...params.cfg], ...cloneOuter(params), residualBlocks };
}

/**
 * The physically smaller model keeping, per block, the bn1 channels whose mask entry is
 * true: conv1's output channels, bn1's four tensors and conv2's input channels gathered;
 * every other tensor copied whole. A block left with no channel is a UsageError.
 */
export function slimCifarResnet(
  params: CifarResnetParams,
  masks: readonly (readonly boolean[])[],
): CifarResnetParams {
  checkMasks(params, masks);
  const kept = masks.map(keptOf);
  const empty = kept.findIndex((k) => k.length === 0);
  if (empty >= 0) {
    const label = cifarResnetBnLabels(params.depth)[empty];
    throw new UsageError(`pruning would leave BN layer ${label} with no channels`);
  }
  const residualBlocks = params.residualBlocks.map((block, b): BasicBlockParams => ({
    conv1: gather(block.conv1, kept[b], 3),
    bn1: {
      gamma: gather(block.bn1.gamma, kept[b], 0),
      beta: gather(block.bn1.beta, kept[b], 0),
      runningMean: gather(block.bn1.runningMean, kept[b], 0),
      runningVar: gather(block.bn1.runningVar, kept[b], 0),
    },
    conv2: gather(block.conv2, kept[b], 2),
    ...cloneRest(block),
  }));
  return {
    arch: params.arch,
    depth: params.depth,
    planes: params.planes,
    cfg: kept.map((k) => k.length),
    ...cloneOuter(params),
    residualBlocks,
  };
}

/**
 * One pruning step at a global `ratio` in [0, 1) on |gamma| already read
 * ({@linkcode cifarResnetAbsGammas}): `stepDecision` over the bn1 layers (threshold, guard,
 * and with the options the per-layer cap or rounding), the slim model of
 * {@linkcode slimCifarResnet} and the report (`channelsBefore`, `kept`, `cfgBefore` and
 * `cfg` per block; parameters and FLOPs by the CIFAR ResNet formulas). `params` is
 * unchanged; the result's tensors are new.
 */
export function pruneCifarResnetFromAbsGammas(
  params: CifarResnetParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: CifarResnetPruneOptions = {},
): CifarResnetPruneResult {
  validateRatio(ratio);
  const widths = params.residualBlocks.map((b) => b.bn1.gamma.shape[0]);
  if (abs.length !== widths.length || abs.some((a, i) => a.length !== widths[i])) {
    throw new UsageError(`|gamma| arrays do not fit the model's ${widths.length} bn1 layers`);
  }
  const decision = stepDecision(abs, ratio, options);
  const slim = slimCifarResnet(params, decision.masks);
  const numClasses = params.fc.weight.shape[1];
  const total = widths.reduce((a, b) => a + b, 0);
  const cfg = [...slim.cfg];
  const after = { ...params, cfg };
  const report: StepReport = {
    ratio,
    threshold: decision.threshold,
    total,
    pruned: total - cfg.reduce((a, b) => a + b, 0),
    kept: [...cfg],
    channelsBefore: widths,
    guardedLayers: decision.guardedLayers,
    cfgBefore: [...params.cfg],
    cfg,
    paramsBefore: countCifarResnetParams(params, numClasses),
    paramsAfter: countCifarResnetParams(after, numClasses),
    flopsBefore: countCifarResnetFlops(params, numClasses),
    flopsAfter: countCifarResnetFlops(after, numClasses),
    ...decision.cap,
  };
  return {
    params: slim,
    cfg,
    masks: decision.masks,
    report,
    ...(decision.keptBeforeRounding ? { keptBeforeRounding: decision.keptBeforeRounding } : {}),
  };
}

/** {@linkcode pruneCifarResnetFromAbsGammas} after reading the gammas (asynchronously). */
export async function pruneCifarResnet(
  params: CifarResnetParams,
  ratio: number,
  options: CifarResnetPruneOptions = {},
): Promise<CifarResnetPruneResult> {
  validateRatio(ratio);
  return pruneCifarResnetFromAbsGammas(params, await cifarResnetAbsGammas(params), ratio, options);
}

/** One capped pass of `multiPassPruneWith` on a CIFAR ResNet. */
export const CIFAR_RESNET_PASS: PassPruner<CifarResnetParams, StepReport> = {
  absGammas: cifarResnetAbsGammas,
  prune: pruneCifarResnetFromAbsGammas,
};
