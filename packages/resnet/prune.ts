/**
 * Network Slimming pruning of the pre-activation ResNet (`resprune.py`).
 *
 * Which BNs are pruned: every one. The global threshold ranks the |gamma| of all BN layers
 * (each block's bn1, bn2, bn3 and the final BN), and every BN gets a keep mask. How a mask
 * takes effect depends on the layer:
 * - bn2 and bn3 (followed by a conv in the same block) are physically narrowed: their
 *   channels, the producing conv's output channels and the consuming conv's input channels.
 * - bn1 (each block's first BN) and the final BN read the residual stream, whose width the
 *   additions fix. They keep every channel; their channel selection (`select.indexes`)
 *   passes only the kept ones to conv1 (resp. the linear layer), whose input channels are
 *   gathered. Their pruned channels' gamma and beta are zeroed, as the reference copies them
 *   from its masked model.
 * - conv3 keeps its output channels (the block's output width) and the downsampling convs
 *   are copied whole: the residual stream is never narrowed.
 * The cfg is the flat list `resprune.py` builds: one kept count per BN, in BN order. The
 * masked model (the reference's state before copying) zeroes gamma and beta of every pruned
 * channel of every BN; it computes the same function as the slim one.
 *
 * Unlike the reference, the `minChannels` guard keeps every layer non-empty (the reference
 * crashes when a layer is emptied), and a model pruned before can be pruned again: channels a
 * selection already dropped are not ranked and stay dropped (the multi-pass scheme, with its
 * per-layer cap). `roundTo` rounds every BN's kept count up to a multiple of N (at most its
 * live channels) by its next-largest |gamma|, as VGG's `--round-to` does: the narrowed
 * bn2/bn3 and the selections of bn1 and the final BN alike.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, UsageError } from "@slimming/tensor-utils";
import { stepDecision, type StepOptions, type StepReport, validateRatio } from "@slimming/slimming";
import { resnetBnNames } from "./cfg.ts";
import { countResnetFlops, countResnetParams } from "./counts.ts";
import { batchNorms, type BottleneckParams, type ResnetParams } from "./params.ts";

/** A pruned ResNet, its cfg, the masks that made it and the report. */
export interface ResnetPruneResult {
  /** The slim model; new tensors the caller disposes. */
  readonly params: ResnetParams;
  /** The slim model's flat cfg (kept channels per BN, in BN order). */
  readonly cfg: number[];
  /** Per BN layer (BN order), per channel of the layer: whether it is kept. */
  readonly masks: boolean[][];
  readonly report: StepReport;
  /** With `roundTo` > 1: kept channels per BN before rounding. */
  readonly keptBeforeRounding?: number[];
}

/** The channels each BN passes on: a selection's kept channels, or all of a narrowed BN's. */
function liveChannels(params: ResnetParams): number[][] {
  const all = (n: number) => Array.from({ length: n }, (_, c) => c);
  return [
    ...params.blocks.flatMap((
      b,
    ) => [b.select, all(b.bn2.gamma.shape[0]), all(b.bn3.gamma.shape[0])]),
    params.select,
  ].map((live) => [...live]);
}

/**
 * |gamma| of the live channels of every BN (BN order), read asynchronously so it works on
 * every backend. A NaN or infinite gamma is a UsageError.
 */
export async function resnetLiveAbsGammas(params: ResnetParams): Promise<Float32Array[]> {
  const live = liveChannels(params);
  const names = resnetBnNames(params.depth);
  const out: Float32Array[] = [];
  for (const [i, bn] of batchNorms(params).entries()) {
    const gamma = await bn.gamma.data();
    out.push(Float32Array.from(live[i], (c) => {
      const v = gamma[c];
      if (!Number.isFinite(v)) {
        throw new UsageError(
          `BN gamma ${c} of ${names[i]} is ${v}: cannot rank channels of a diverged model`,
        );
      }
      return Math.abs(v);
    }));
  }
  return out;
}

/** Full-width masks from masks over live channels. */
function fullMasks(params: ResnetParams, liveMasks: readonly boolean[][]): boolean[][] {
  const live = liveChannels(params);
  return batchNorms(params).map((bn, i) => {
    const mask = new Array<boolean>(bn.gamma.shape[0]).fill(false);
    live[i].forEach((c, j) => (mask[c] = liveMasks[i][j]));
    return mask;
  });
}

const keptOf = (mask: readonly boolean[]): number[] => mask.flatMap((k, c) => (k ? [c] : []));

function gather<T extends tf.Tensor>(x: T, indices: readonly number[], axis: number): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d([...indices], "int32"), axis) as T);
}

function zeroMasked(values: tf.Tensor1D, mask: readonly boolean[]): tf.Tensor1D {
  return tf.tidy(() =>
    tf.mul(values, tf.tensor1d(mask.map((k) => (k ? 1 : 0)), "float32")) as tf.Tensor1D
  );
}

/** `bn` with gamma and beta zeroed where `mask` is false (new tensors throughout). */
function maskedBn(bn: BatchNormState, mask: readonly boolean[]): BatchNormState {
  return {
    gamma: zeroMasked(bn.gamma, mask),
    beta: zeroMasked(bn.beta, mask),
    runningMean: bn.runningMean.clone(),
    runningVar: bn.runningVar.clone(),
  };
}

function gatheredBn(bn: BatchNormState, kept: readonly number[]): BatchNormState {
  return {
    gamma: gather(bn.gamma, kept, 0),
    beta: gather(bn.beta, kept, 0),
    runningMean: gather(bn.runningMean, kept, 0),
    runningVar: gather(bn.runningVar, kept, 0),
  };
}

function checkMasks(params: ResnetParams, masks: readonly (readonly boolean[])[]): void {
  const bns = batchNorms(params);
  if (masks.length !== bns.length) {
    throw new UsageError(`${masks.length} masks for ${bns.length} BN layers`);
  }
  const live = liveChannels(params);
  masks.forEach((mask, i) => {
    if (mask.length !== bns[i].gamma.shape[0]) {
      throw new UsageError(
        `mask ${i} has ${mask.length} entries for ${bns[i].gamma.shape[0]} channels`,
      );
    }
    const liveSet = new Set(live[i]);
    if (mask.some((k, c) => k && !liveSet.has(c))) {
      throw new UsageError(`mask ${i} keeps a channel a previous pruning removed`);
    }
  });
}

/** Positions in `live` (ascending) of the channels in `kept` (a subset of `live`). */
function positionsIn(live: readonly number[], kept: readonly number[]): number[] {
  const at = new Map(live.map((c, j) => [c, j]));
  return kept.map((c) => at.get(c)!);
}

/**
 * The reference's masked model: `params` with gamma and beta of every pruned channel of every
 * BN zeroed; shapes and selections unchanged. Every tensor of the result is new.
 */
export function maskResnetParams(
  params: ResnetParams,
  masks: readonly (readonly boolean[])[],
): ResnetParams {
  checkMasks(params, masks);
  const blocks = params.blocks.map((block, b): BottleneckParams => ({
    bn1: maskedBn(block.bn1, masks[3 * b]),
    select: block.select,
    conv1: block.conv1.clone(),
    bn2: maskedBn(block.bn2, masks[3 * b + 1]),
    conv2: block.conv2.clone(),
    bn3: maskedBn(block.bn3, masks[3 * b + 2]),
    conv3: block.conv3.clone(),
    ...(block.downsample ? { downsample: block.downsample.clone() } : {}),
  }));
  return {
    ...params,
    conv1: params.conv1.clone(),
    blocks,
    bn: maskedBn(params.bn, masks[masks.length - 1]),
    fc: { weight: params.fc.weight.clone(), bias: params.fc.bias.clone() },
  };
}

/**
 * The slim model of `resprune.py` for full-width `masks` (one per BN, BN order): bn2/bn3 and
 * the convs around them narrowed, bn1 and the final BN kept whole with their pruned
 * channels' gamma and beta zeroed and their selections set to the kept channels, conv1's and
 * the linear layer's input channels gathered. A layer left empty is a UsageError.
 */
export function pruneResnetWithMasks(
  params: ResnetParams,
  masks: readonly (readonly boolean[])[],
): ResnetParams {
  checkMasks(params, masks);
  const names = resnetBnNames(params.depth);
  const kept = masks.map(keptOf);
  const empty = kept.findIndex((k) => k.length === 0);
  if (empty >= 0) {
    throw new UsageError(`pruning would leave BN layer ${names[empty]} with no channels`);
  }
  const blocks = params.blocks.map((block, b): BottleneckParams => {
    const [k1, k2, k3] = [kept[3 * b], kept[3 * b + 1], kept[3 * b + 2]];
    const conv1 = tf.tidy(() =>
      gather(gather(block.conv1, positionsIn(block.select, k1), 2), k2, 3)
    );
    return {
      bn1: maskedBn(block.bn1, masks[3 * b]),
      select: k1,
      conv1,
      bn2: gatheredBn(block.bn2, k2),
      conv2: tf.tidy(() => gather(gather(block.conv2, k2, 2), k3, 3)),
      bn3: gatheredBn(block.bn3, k3),
      conv3: gather(block.conv3, k3, 2),
      ...(block.downsample ? { downsample: block.downsample.clone() } : {}),
    };
  });
  const head = kept[kept.length - 1];
  return {
    arch: params.arch,
    depth: params.depth,
    planes: params.planes,
    cfg: kept.map((k) => k.length),
    conv1: params.conv1.clone(),
    blocks,
    bn: maskedBn(params.bn, masks[masks.length - 1]),
    select: head,
    fc: {
      weight: gather(params.fc.weight, positionsIn(params.select, head), 0),
      bias: params.fc.bias.clone(),
    },
  };
}

/**
 * Options of {@linkcode pruneResnet}: the guard (`minChannels`, default 1; 0 turns it off, as
 * in the reference), a multi-pass step's per-layer cap (`maxLayerRatio`) and rounding of
 * every BN's kept count up to a multiple of `roundTo`, all over each BN's live channels.
 */
export type ResnetPruneOptions = StepOptions;

/**
 * One-shot pruning at a global `ratio` in [0, 1) on |gamma| arrays already read
 * ({@linkcode resnetLiveAbsGammas}): the decision of `stepDecision` over the live channels
 * of every BN (threshold, guard, and with the options the per-layer cap and rounding: a BN
 * then keeps min(its live channels, a multiple of `roundTo`)), the slim model of
 * {@linkcode pruneResnetWithMasks} and the report (same fields as `prune`'s; `channelsBefore`
 * and `kept` per BN, the counts by the ResNet formulas). `params` is unchanged; the
 * result's tensors are new.
 */
export function pruneResnetFromAbsGammas(
  params: ResnetParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: ResnetPruneOptions = {},
): ResnetPruneResult {
  validateRatio(ratio);
  const decision = stepDecision(abs, ratio, options);
  const masks = fullMasks(params, decision.masks);
  const slim = pruneResnetWithMasks(params, masks);
  const numClasses = params.fc.weight.shape[1];
  const channelsBefore = abs.map((a) => a.length);
  const total = channelsBefore.reduce((a, b) => a + b, 0);
  const cfg = [...slim.cfg];
  const report: StepReport = {
    ratio,
    threshold: decision.threshold,
    total,
    pruned: total - cfg.reduce((a, b) => a + b, 0),
    kept: [...cfg],
    channelsBefore,
    guardedLayers: decision.guardedLayers,
    cfgBefore: [...params.cfg],
    cfg,
    paramsBefore: countResnetParams(params.cfg, params.depth, numClasses, params.planes),
    paramsAfter: countResnetParams(cfg, params.depth, numClasses, params.planes),
    flopsBefore: countResnetFlops(params.cfg, params.depth, numClasses, params.planes),
    flopsAfter: countResnetFlops(cfg, params.depth, numClasses, params.planes),
    ...decision.cap,
  };
  return {
    params: slim,
    cfg,
    masks,
    report,
    ...(decision.keptBeforeRounding ? { keptBeforeRounding: decision.keptBeforeRounding } : {}),
  };
}

/** {@linkcode pruneResnetFromAbsGammas} after reading the gammas (asynchronously). */
export async function pruneResnet(
  params: ResnetParams,
  ratio: number,
  options: ResnetPruneOptions = {},
): Promise<ResnetPruneResult> {
  validateRatio(ratio);
  return pruneResnetFromAbsGammas(params, await resnetLiveAbsGammas(params), ratio, options);
}
