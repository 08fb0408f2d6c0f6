/**
 * Parameter and FLOP counts of a cfg, for 32x32 inputs.
 *
 * FLOPs follow the paper's convention: 2 x multiply-adds (VGG-19's 398M multiply-adds are
 * its 7.97e8 FLOPs); conv and linear layers only, BN/ReLU/pooling not counted.
 *
 * @module
 */
import type { CfgCounts } from "@slimming/slimming/core";
import type { Cfg } from "./cfg.ts";

/**
 * Trainable parameters (conv weights, BN gamma and beta, linear weight and bias), the count
 * PyTorch's `sum(p.numel() for p in model.parameters())` gives; running statistics excluded.
 */
export function countParams(cfg: Cfg, numClasses = 10): number {
  let inChannels = 3;
  let total = 0;
  for (const v of cfg) {
    if (v === "M") continue;
    total += 9 * inChannels * v + 2 * v;
    inChannels = v;
  }
  return total + inChannels * numClasses + numClasses;
}

/** FLOPs (2 x multiply-adds) of one forward pass on a `inputSize` x `inputSize` image. */
export function countFlops(cfg: Cfg, numClasses = 10, inputSize = 32): number {
  let inChannels = 3;
  let size = inputSize;
  let macs = 0;
  for (const v of cfg) {
    if (v === "M") {
      size /= 2;
      continue;
    }
    macs += size * size * 9 * inChannels * v;
    inChannels = v;
  }
  macs += inChannels * numClasses;
  return 2 * macs;
}

/** VGG's counts for `@slimming/slimming`'s pruning reports (`countParams`, `countFlops`). */
export const vggCounts: CfgCounts = {
  params: (cfg, numClasses) => countParams(cfg, numClasses),
  flops: (cfg, numClasses) => countFlops(cfg, numClasses),
};
