/**
 * VGG configuration lists, as in the reference's `models/vgg.py`: a number is a
 * conv3x3-BN-ReLU layer with that many output channels, "M" a 2x2 max-pool.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";

/** One entry of a cfg list. */
export type CfgItem = number | "M";

/** A VGG configuration list. */
export type Cfg = readonly CfgItem[];

/** The reference's default cfg lists by depth. */
export const VGG_CFGS: Readonly<Record<11 | 13 | 16 | 19, Cfg>> = {
  11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
  19: [
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
  ],
};

/** The depths with a default cfg. */
export const VGG_DEPTHS: readonly number[] = [11, 13, 16, 19];

/** The `arch` tag VGG's checkpoints and parameter trees carry. */
export const VGG_TAG = "vgg";

/** The reference cfg for `depth` (11, 13, 16 or 19); anything else is a UsageError. */
export function cfgForDepth(depth: number): Cfg {
  const cfg = (VGG_CFGS as Record<number, Cfg>)[depth];
  if (!cfg) throw new UsageError(`unknown VGG depth ${depth} (choose 11, 13, 16 or 19)`);
  return cfg;
}

/** `cfg` with every channel count multiplied by `width` (rounded, at least 1). */
export function scaleCfg(cfg: Cfg, width: number): CfgItem[] {
  if (!(width > 0) || !Number.isFinite(width)) {
    throw new UsageError(`width must be a positive number, got ${width}`);
  }
  return cfg.map((v) => (v === "M" ? v : Math.max(1, Math.round(v * width))));
}

/** Output channels of each conv layer, in order. */
export function convChannels(cfg: Cfg): number[] {
  return cfg.filter((v): v is number => v !== "M");
}

/** Number of 2x2 max-pools in `cfg`. */
export function poolCount(cfg: Cfg): number {
  return cfg.filter((v) => v === "M").length;
}

/**
 * Checks that `cfg` is a usable VGG cfg for `inputSize` square images: positive integer
 * channels, "M" entries, at least one conv, and the spatial size after its pools and the
 * final 2x2 average pool is exactly 1 (the reference's linear head expects `cfg[-1]` inputs).
 */
export function validateCfg(cfg: unknown, inputSize = 32): Cfg {
  if (!Array.isArray(cfg) || cfg.length === 0) throw new UsageError("cfg must be a non-empty list");
  for (const v of cfg) {
    if (v !== "M" && !(Number.isSafeInteger(v) && v > 0)) {
      throw new UsageError(
        `cfg entries must be positive integers or "M", got ${JSON.stringify(v)}`,
      );
    }
  }
  if (cfg[0] === "M" || convChannels(cfg).length === 0) {
    throw new UsageError("cfg must start with a conv layer");
  }
  const finalSize = inputSize / 2 ** (poolCount(cfg) + 1);
  if (finalSize !== 1) {
    throw new UsageError(
      `cfg has ${poolCount(cfg)} max-pools: a ${inputSize}x${inputSize} input needs ${
        Math.log2(inputSize) - 1
      } so that the final 2x2 average pool leaves 1x1`,
    );
  }
  return cfg as Cfg;
}

/** Parses a cfg from a string such as "64,64,M,128" or a JSON list. */
export function parseCfg(text: string): CfgItem[] {
  const trimmed = text.trim();
  const items = trimmed.startsWith("[")
    ? (JSON.parse(trimmed) as unknown[])
    : trimmed.split(",").map((s) => s.trim());
  return items.map((v) => {
    if (v === "M" || v === "m") return "M";
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new UsageError(`bad cfg entry ${JSON.stringify(v)}`);
    }
    return n;
  });
}

/** Names of the conv (and BN) layers of `cfg`, VGG style: `conv<block>_<n>`, blocks split by "M". */
export function convLayerNames(cfg: Cfg): string[] {
  const names: string[] = [];
  let block = 1;
  let inBlock = 0;
  for (const item of cfg) {
    if (item === "M") {
      if (inBlock > 0) block++;
      inBlock = 0;
    } else {
      names.push(`conv${block}_${++inBlock}`);
    }
  }
  return names;
}
