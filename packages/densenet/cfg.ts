/**
 * DenseNet shapes, as in the reference's `models/densenet.py` (no bottleneck, compression 1,
 * no dropout): depth 3n+4 gives three dense blocks of n BN-ReLU-conv3x3 layers, joined by
 * two BN-ReLU-conv1x1-avgpool transitions, then a final BN-ReLU and the linear head. Every
 * BN is followed by a channel selection, so the model has 3n+3 BN layers.
 *
 * The reference's flat cfg list has one entry per BN layer, in forward order: the number
 * of channels its channel selection keeps, which is the input width of the conv after it
 * (the last entry is the linear layer's input width). The BN layers themselves always
 * keep their full width ({@linkcode densenetBnWidths}), since the concatenated features keep
 * theirs. Pure arithmetic, no tfjs.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";

/** The `arch` tag a DenseNet's checkpoints and parameter trees carry. */
export const DENSENET_TAG = "densenet";

/** The shape of a DenseNet: depth, (effective) growth rate and the flat cfg list. */
export interface DensenetSpec {
  /** 3n+4, n >= 1. */
  readonly depth: number;
  /** Channels each dense layer adds (after any width scaling). */
  readonly growthRate: number;
  /** Kept channels per BN layer (3n+3 entries); see the module doc. */
  readonly cfg: readonly number[];
}

/** n, the layers per dense block, of a valid `depth` (3n+4, n >= 1); else a UsageError. */
export function denseLayersPerBlock(depth: number): number {
  if (!Number.isSafeInteger(depth) || depth < 7 || (depth - 4) % 3 !== 0) {
    throw new UsageError(`DenseNet depth must be 3n+4 with n >= 1 (7, 10, ..., 40), got ${depth}`);
  }
  return (depth - 4) / 3;
}

/**
 * The growth rate a width multiplier gives: `max(1, round(growthRate * width))`. Width
 * scales only the growth rate: the reference ties the first conv's output to twice the
 * growth rate (and every BN width follows from both), so a scaled model is exactly the
 * reference's `densenet(depth, growthRate=densenetGrowth(g, w))` and loads into it.
 */
export function densenetGrowth(growthRate = 12, width = 1): number {
  if (!Number.isSafeInteger(growthRate) || growthRate < 1) {
    throw new UsageError(`growth rate must be a positive integer, got ${growthRate}`);
  }
  if (!(width > 0) || !Number.isFinite(width)) {
    throw new UsageError(`width must be a positive number, got ${width}`);
  }
  return Math.max(1, Math.round(growthRate * width));
}

/**
 * Full width of every BN layer (and its `select.indexes`), in forward order: dense block
 * layers see 2g + i*g channels (growing by g per layer and block), the transitions and the
 * final BN see everything concatenated so far (compression 1 keeps the width).
 */
export function densenetBnWidths(depth: number, growthRate: number): number[] {
  const n = denseLayersPerBlock(depth);
  const widths: number[] = [];
  let start = 2 * growthRate;
  for (let block = 0; block < 3; block++) {
    for (let i = 0; i <= n; i++) widths.push(start + growthRate * i);
    start += growthRate * n;
  }
  return widths;
}

/**
 * The reference's default flat cfg (every channel kept) for `depth`, with the growth rate
 * scaled by `width` (see {@linkcode densenetGrowth}); DenseNet-40 gives [24, 36, ..., 456].
 */
export function defaultDensenetCfg(depth: number, growthRate = 12, width = 1): number[] {
  return densenetBnWidths(depth, densenetGrowth(growthRate, width));
}

/**
 * Checks a spec: a valid depth, a positive integer growth rate and 3n+3 cfg entries, each
 * an integer between 1 and its BN layer's width. Returns the spec; a failure is a one-line
 * UsageError.
 */
export function validateDensenetSpec(spec: DensenetSpec): DensenetSpec {
  const widths = densenetBnWidths(spec.depth, densenetGrowth(spec.growthRate));
  const cfg: unknown = spec.cfg;
  if (!Array.isArray(cfg) || cfg.length !== widths.length) {
    throw new UsageError(
      `a depth-${spec.depth} DenseNet cfg needs ${widths.length} entries, got ${
        Array.isArray(cfg) ? cfg.length : JSON.stringify(cfg)
      }`,
    );
  }
  cfg.forEach((v, i) => {
    if (!Number.isSafeInteger(v) || v < 1 || v > widths[i]) {
      throw new UsageError(
        `DenseNet cfg entry ${i} (${densenetBnLabels(spec.depth)[i]}) must be an integer in [1, ${
          widths[i]
        }], got ${JSON.stringify(v)}`,
      );
    }
  });
  return spec;
}

/**
 * One short label per BN layer, in forward order, for reports: `d<block>_<layer>` for the
 * dense layers (both 1-based), `t1`, `t2` for the transitions and `final` for the last BN.
 */
export function densenetBnLabels(depth: number): string[] {
  const n = denseLayersPerBlock(depth);
  const labels: string[] = [];
  for (let block = 1; block <= 3; block++) {
    for (let i = 1; i <= n; i++) labels.push(`d${block}_${i}`);
    labels.push(block < 3 ? `t${block}` : "final");
  }
  return labels;
}
