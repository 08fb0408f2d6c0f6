/**
 * Pre-activation bottleneck ResNet configuration, as in the reference's `models/preresnet.py`:
 * depth 9n+2 (three stages of n bottleneck blocks), and the flat cfg list with three entries
 * per block (the channels its first BN selects, i.e. conv1's input; conv1's output; conv2's
 * output) and one final entry (the channels the last BN selects, i.e. the linear layer's input).
 * `resprune.py` writes a pruned model's cfg in the same form.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";

/** The `arch` tag a ResNet's checkpoints and parameter trees carry. */
export const RESNET_TAG = "resnet";

/** A flat ResNet cfg list: 3 entries per bottleneck block, then the head's input width. */
export type ResnetCfg = readonly number[];

/** Channels per stage before the bottleneck expansion (`planes`), e.g. [16, 32, 64]. */
export type ResnetPlanes = readonly [number, number, number];

/** A bottleneck block's output has `planes * RESNET_EXPANSION` channels. */
export const RESNET_EXPANSION = 4;

/** The reference's stage widths (width 1). */
export const RESNET_PLANES: ResnetPlanes = [16, 32, 64];

/** `depth` as a valid depth 9n+2 >= 11 (11, 20, ..., 164); anything else is a UsageError. */
export function validateResnetDepth(depth: unknown): number {
  if (
    typeof depth !== "number" || !Number.isSafeInteger(depth) || depth < 11 || (depth - 2) % 9 !== 0
  ) {
    throw new UsageError(`ResNet depth must be 9n+2 >= 11 (11, 20, 29, ..., 164), got ${depth}`);
  }
  return depth;
}

/** Bottleneck blocks per stage (n) of a depth 9n+2. */
export function blocksPerStage(depth: number): number {
  return (validateResnetDepth(depth) - 2) / 9;
}

/**
 * The stage widths at `width` (the reference's [16, 32, 64] times `width`, rounded, at least
 * 1). The stem conv has `planes[0]` channels, like the reference's `inplanes = 16`.
 */
export function resnetPlanes(width = 1): ResnetPlanes {
  if (!(width > 0) || !Number.isFinite(width)) {
    throw new UsageError(`width must be a positive number, got ${width}`);
  }
  const [a, b, c] = RESNET_PLANES.map((p) => Math.max(1, Math.round(p * width)));
  return [a, b, c];
}

/**
 * The width of every BN layer's input tensor, in BN order (per block: bn1 = the block's input,
 * bn2, bn3 by `cfg`; then the final BN). bn1 and the final BN are never narrowed by pruning:
 * their cfg entries count the channels their channel selection keeps.
 */
export function bnWidths(cfg: ResnetCfg, depth: number, planes: ResnetPlanes): number[] {
  const inputs = blockInputWidths(depth, planes);
  const out: number[] = [];
  inputs.forEach((w, b) => out.push(w, cfg[3 * b + 1], cfg[3 * b + 2]));
  out.push(planes[2] * RESNET_EXPANSION);
  return out;
}

/** The input width of every bottleneck block, in order (the stem's, then expanded planes). */
export function blockInputWidths(depth: number, planes: ResnetPlanes): number[] {
  const n = blocksPerStage(depth);
  const out: number[] = [];
  let inplanes = planes[0];
  for (const p of planes) {
    for (let i = 0; i < n; i++) {
      out.push(inplanes);
      inplanes = p * RESNET_EXPANSION;
    }
  }
  return out;
}

/**
 * The reference's default cfg for `depth` (9n+2), with every channel count (stage widths
 * included) multiplied by `width`, rounded, at least 1: per stage `[in, p, p]` then
 * `[4p, p, p]` n-1 times, and finally `[4 * planes[2]]`.
 */
export function defaultResnetCfg(depth: number, width = 1): number[] {
  const planes = resnetPlanes(width);
  const n = blocksPerStage(depth);
  const inputs = blockInputWidths(depth, planes);
  const cfg: number[] = [];
  inputs.forEach((w, b) => {
    const p = planes[Math.floor(b / n)];
    cfg.push(w, p, p);
  });
  cfg.push(planes[2] * RESNET_EXPANSION);
  return cfg;
}

/**
 * Checks that `cfg` fits a ResNet of `depth` with stage widths `planes`: 9n+1 positive
 * integers, and no selection entry (each block's first, and the last) above the width of the
 * tensor it selects from. Failures are one-line UsageErrors.
 */
export function validateResnetCfg(
  cfg: unknown,
  depth: number,
  planes: ResnetPlanes = RESNET_PLANES,
): number[] {
  const n = blocksPerStage(depth);
  if (!Array.isArray(cfg)) throw new UsageError("ResNet cfg must be a list of channel counts");
  if (cfg.length !== 9 * n + 1) {
    throw new UsageError(
      `ResNet cfg for depth ${depth} needs ${
        9 * n + 1
      } entries (3 per block + 1), got ${cfg.length}`,
    );
  }
  for (const v of cfg) {
    if (!(Number.isSafeInteger(v) && v > 0)) {
      throw new UsageError(
        `ResNet cfg entries must be positive integers, got ${JSON.stringify(v)}`,
      );
    }
  }
  const widths = bnWidths(cfg as number[], depth, planes);
  const names = resnetBnNames(depth);
  // Entries 0, 3, ..., 9n are selections (each block's bn1, then the final BN).
  for (let k = 0; k < cfg.length; k += 3) {
    if (cfg[k] > widths[k]) {
      throw new UsageError(
        `ResNet cfg entry ${k} (${names[k]}) selects ${cfg[k]} of ${widths[k]} channels`,
      );
    }
  }
  return [...cfg];
}

/**
 * One short label per BN layer, in BN order, named like the reference's modules:
 * `layer<stage>.<block>.bn<1..3>` and `bn` for the final one.
 */
export function resnetBnNames(depth: number): string[] {
  const n = blocksPerStage(depth);
  const names: string[] = [];
  for (let s = 1; s <= 3; s++) {
    for (let b = 0; b < n; b++) {
      names.push(`layer${s}.${b}.bn1`, `layer${s}.${b}.bn2`, `layer${s}.${b}.bn3`);
    }
  }
  names.push("bn");
  return names;
}

/** The depth a cfg of this length belongs to (9n+1 entries -> 9n+2); else a UsageError. */
export function depthOfCfg(cfg: ResnetCfg): number {
  if ((cfg.length - 1) % 9 !== 0 || cfg.length < 10) {
    throw new UsageError(`a ResNet cfg has 9n+1 entries (n >= 1), got ${cfg.length}`);
  }
  return cfg.length + 1;
}
