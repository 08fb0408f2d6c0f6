/**
 * Network Slimming on the DenseNet of `@slimming/densenet`, with `denseprune.py`'s
 * semantics.
 *
 * Which BNs: every one of them. denseprune.py ranks the |gamma| of all 3n+3 BN layers
 * together (the dense layers', the two transitions' and the final one; the first conv has
 * no BN) against one global threshold, `sorted[floor(total * ratio)]`, keeping
 * `|gamma| > threshold`. Since every BN is followed by a channel selection, no BN is made
 * narrower: the BN keeps its full width (its pruned channels' gamma and beta are zeroed, as
 * the reference's in-place `mul_(mask)` leaves them in the copied BN), the selection keeps
 * the kept channels, and the conv after it (or the linear layer after the final BN) keeps
 * only those input channels. The first conv and every conv's outputs are unchanged, so the
 * concatenated features keep their width. The cfg is the kept count per BN, the flat list
 * denseprune.py builds.
 *
 * Beyond the reference: the `minChannels` guard (default 1) keeps a layer's largest |gamma|
 * when the threshold would select none of its channels; and a model already pruned is
 * ranked over its selected channels only (for an unpruned model, every channel), so a
 * second pruning removes a fraction of what is left (the multi-pass scheme, with its
 * per-layer cap); and `roundTo` rounds every BN's kept count up to a multiple of N (at most
 * its selected channels) by its next-largest |gamma|, as VGG's `--round-to` does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UsageError } from "@slimming/tensor-utils";
import {
  absCopy,
  type StepDecision,
  stepDecision,
  type StepOptions,
  validateRatio,
} from "@slimming/slimming";
import { countDensenetFlops, countDensenetParams } from "./counts.ts";
import { type DensenetParams, mapUnits, selectedBns } from "./params.ts";

/** What a DenseNet pruning step did; the fields of `PruneReport`, with flat cfg lists. */
export interface DensenetPruneReport {
  /** The requested global ratio. */
  readonly ratio: number;
  /** The global |gamma| threshold (channels with |gamma| > threshold are kept). */
  readonly threshold: number;
  /** Selected BN channels before pruning, all layers together. */
  readonly total: number;
  /** Channels removed, all layers together. */
  readonly pruned: number;
  /** Channels kept per BN layer. */
  readonly kept: number[];
  /** Channels selected per BN layer before pruning (the full widths for an unpruned model). */
  readonly channelsBefore: number[];
  /** BN layers (0-based, forward order) where the minChannels guard fired. */
  readonly guardedLayers: number[];
  /** The flat cfg before pruning. */
  readonly cfgBefore: number[];
  /** The flat cfg after pruning (equal to `kept`). */
  readonly cfg: number[];
  /** Trainable parameters before (`countDensenetParams`, select.indexes excluded). */
  readonly paramsBefore: number;
  /** Trainable parameters after. */
  readonly paramsAfter: number;
  /** FLOPs of one 32x32 forward pass before (`countDensenetFlops`). */
  readonly flopsBefore: number;
  /** FLOPs of one 32x32 forward pass after. */
  readonly flopsAfter: number;
  /** A multi-pass step: the cap, the largest fraction of a layer one pass could remove. */
  readonly maxLayerRatio?: number;
  /** A multi-pass step: layers where the cap kept more channels than the threshold did. */
  readonly cappedLayers?: number[];
}

/** A pruned DenseNet, its cfg, the masks that made it and the report. */
export interface DensenetPruneResult {
  /** The smaller model; new tensors the caller disposes. */
  readonly params: DensenetParams;
  /** The smaller model's flat cfg. */
  readonly cfg: number[];
  /** Per BN layer, per channel of its full width: whether it stays selected. */
  readonly masks: boolean[][];
  readonly report: DensenetPruneReport;
  /** With `roundTo` > 1: kept channels per BN before rounding. */
  readonly keptBeforeRounding?: number[];
}

/**
 * Options of {@linkcode pruneDensenet}: the guard (`minChannels`, default 1), a multi-pass
 * step's per-layer cap (`maxLayerRatio`) and rounding of every BN's kept count up to a
 * multiple of `roundTo`, all over each BN's selected channels.
 */
export type DensenetPruneOptions = StepOptions;

/** |gamma| of every BN layer at full width, forward order; a NaN is a UsageError. */
export function densenetAbsGammas(params: DensenetParams): Float32Array[] {
  return selectedBns(params).map((u, i) => absCopy(u.bn.gamma.dataSync(), i));
}

/** {@linkcode densenetAbsGammas}, read asynchronously so it works on every backend. */
export async function densenetAbsGammasAsync(params: DensenetParams): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [i, u] of selectedBns(params).entries()) out.push(absCopy(await u.bn.gamma.data(), i));
  return out;
}

/** Throws a UsageError unless `masks` fit the BN widths and only keep selected channels. */
function checkDensenetMasks(params: DensenetParams, masks: readonly (readonly boolean[])[]): void {
  const units = selectedBns(params);
  if (masks.length !== units.length) {
    throw new UsageError(`${masks.length} masks for ${units.length} BN layers`);
  }
  units.forEach((u, i) => {
    const width = u.bn.gamma.shape[0];
    if (masks[i].length !== width) {
      throw new UsageError(`mask ${i} has ${masks[i].length} entries for ${width} channels`);
    }
    const selected = new Set(u.selected);
    const outside = masks[i].findIndex((keep, c) => keep && !selected.has(c));
    if (outside >= 0) {
      throw new UsageError(`mask ${i} keeps channel ${outside}, which the model does not select`);
    }
  });
}

function zeroWhereMasked(values: tf.Tensor1D, mask: readonly boolean[]): tf.Tensor1D {
  return tf.tidy(() => {
    const keep = tf.tensor1d(mask.map((k) => (k ? 1 : 0)), "bool");
    return tf.where(keep, values, tf.zerosLike(values)) as tf.Tensor1D;
  });
}

/**
 * The reference's masked model: `params` with the gamma and beta of every unkept BN channel
 * zeroed (such a channel outputs relu(0) = 0); shapes and selections unchanged. Every
 * tensor of the result is new. Masks that do not fit are a UsageError.
 */
export function maskDensenet(
  params: DensenetParams,
  masks: readonly (readonly boolean[])[],
): DensenetParams {
  checkDensenetMasks(params, masks);
  return mapUnits(
    params,
    (u, i) => ({
      bn: {
        gamma: zeroWhereMasked(u.bn.gamma, masks[i]),
        beta: zeroWhereMasked(u.bn.beta, masks[i]),
        runningMean: u.bn.runningMean.clone(),
        runningVar: u.bn.runningVar.clone(),
      },
      ...(u.conv ? { conv: { weight: u.conv.weight.clone() } } : {}),
    }),
    {
      conv1: { weight: params.conv1.weight.clone() },
      fc: { weight: params.fc.weight.clone(), bias: params.fc.bias.clone() },
    },
  );
}

/** Positions within `selected` of the channels `mask` keeps. */
function keptPositions(selected: readonly number[], mask: readonly boolean[]): number[] {
  return selected.flatMap((c, j) => (mask[c] ? [j] : []));
}

function gatherAxis<T extends tf.Tensor>(x: T, positions: readonly number[], axis: number): T {
  if (positions.length === x.shape[axis]) return x.clone();
  return tf.tidy(() => tf.gather(x, tf.tensor1d([...positions], "int32"), axis) as T);
}

/**
 * The slim model of denseprune.py: every BN at full width with unkept channels' gamma and
 * beta zeroed, selections narrowed to the kept channels, each conv after a BN holding only
 * the kept input channels, the linear layer only the kept inputs of the final BN; the first
 * conv and all conv outputs unchanged. All tensors are new. Masks that do not fit, keep an
 * unselected channel or leave a layer empty are a UsageError.
 */
export function slimDensenet(
  params: DensenetParams,
  masks: readonly (readonly boolean[])[],
): DensenetParams {
  checkDensenetMasks(params, masks);
  const units = selectedBns(params);
  const positions = units.map((u, i) => keptPositions(u.selected, masks[i]));
  const empty = positions.findIndex((p) => p.length === 0);
  if (empty >= 0) throw new UsageError(`pruning would leave BN layer ${empty} with no channels`);
  const last = units.length - 1;
  return mapUnits(
    params,
    (u, i) => ({
      bn: {
        gamma: zeroWhereMasked(u.bn.gamma, masks[i]),
        beta: zeroWhereMasked(u.bn.beta, masks[i]),
        runningMean: u.bn.runningMean.clone(),
        runningVar: u.bn.runningVar.clone(),
      },
      selected: positions[i].map((j) => u.selected[j]),
      ...(u.conv ? { conv: { weight: gatherAxis(u.conv.weight, positions[i], 2) } } : {}),
    }),
    {
      cfg: positions.map((p) => p.length),
      conv1: { weight: params.conv1.weight.clone() },
      fc: {
        weight: gatherAxis(params.fc.weight, positions[last], 0),
        bias: params.fc.bias.clone(),
      },
    },
  );
}

/**
 * The decision of `stepDecision` over the selected channels (threshold, guard, and with the
 * options the per-layer cap and rounding), as full-width masks.
 */
export function densenetDecision(
  selected: readonly (readonly number[])[],
  abs: readonly Float32Array[],
  ratio: number,
  options: DensenetPruneOptions = {},
): StepDecision {
  const compact = selected.map((s, i) => Float32Array.from(s, (c) => abs[i][c]));
  const decision = stepDecision(compact, ratio, options);
  const masks = selected.map((s, i) => {
    const mask = new Array<boolean>(abs[i].length).fill(false);
    s.forEach((c, j) => (mask[c] = decision.masks[i][j]));
    return mask;
  });
  return { ...decision, masks };
}

/**
 * {@linkcode pruneDensenet} on |gamma| arrays already read (`densenetAbsGammas` or, on a
 * backend without synchronous reads, `await densenetAbsGammasAsync(params)`).
 */
export function pruneDensenetFromAbsGammas(
  params: DensenetParams,
  abs: readonly Float32Array[],
  ratio: number,
  options: DensenetPruneOptions = {},
): DensenetPruneResult {
  validateRatio(ratio);
  const selected = selectedBns(params).map((u) => u.selected);
  const decision = densenetDecision(selected, abs, ratio, options);
  const { masks, threshold, guardedLayers } = decision;
  const slim = slimDensenet(params, masks);
  const numClasses = params.fc.weight.shape[1];
  const before = { depth: params.depth, growthRate: params.growthRate, cfg: params.cfg };
  const cfg = [...slim.cfg];
  const total = params.cfg.reduce((a, b) => a + b, 0);
  const report: DensenetPruneReport = {
    ratio,
    threshold,
    total,
    pruned: total - cfg.reduce((a, b) => a + b, 0),
    kept: [...cfg],
    channelsBefore: [...params.cfg],
    guardedLayers,
    cfgBefore: [...params.cfg],
    cfg,
    paramsBefore: countDensenetParams(before, numClasses),
    paramsAfter: countDensenetParams(slim, numClasses),
    flopsBefore: countDensenetFlops(before, numClasses),
    flopsAfter: countDensenetFlops(slim, numClasses),
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

/**
 * One-shot Network Slimming pruning of a DenseNet at a global `ratio` in [0, 1) (see the
 * module doc for which channels and what stays). `params` is unchanged; the result's
 * tensors are new. Reads the gammas synchronously.
 */
export function pruneDensenet(
  params: DensenetParams,
  ratio: number,
  options: DensenetPruneOptions = {},
): DensenetPruneResult {
  validateRatio(ratio);
  return pruneDensenetFromAbsGammas(params, densenetAbsGammas(params), ratio, options);
}
