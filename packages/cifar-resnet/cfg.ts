/**
 * Shapes of the CIFAR ResNet of He et al. 2016 (Sec. 4.2): depth 6n+2, a 3x3 stem conv, three
 * stages of n basic blocks (two 3x3 conv + BN each) at 16, 32 and 64 channels (times a width
 * multiplier), stride 2 in the first block of stages 2 and 3, a 1x1 conv + BN projection
 * shortcut where the shape changes, global average pooling and a linear head. ResNet-56 is
 * n = 9.
 *
 * The flat cfg has one entry per block: its inner width, the channels of conv1's output,
 * bn1 and conv2's input, the only channels Network Slimming prunes here (see
 * {@linkcode CifarResnetSpec}). Pure arithmetic, no tfjs.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";

/** The architecture tag of checkpoints, exports and `ModelOps.arch`. */
export const CIFAR_RESNET_ARCH = "cifar-resnet";

/** The display name of the architecture. */
export const CIFAR_RESNET_TITLE = "CIFAR ResNet (basic blocks)";

/** Depth of a new model when none is asked for: ResNet-56. */
export const CIFAR_RESNET_DEFAULT_DEPTH = 56;

/** Width multiplier of a new model when none is asked for. */
export const CIFAR_RESNET_DEFAULT_WIDTH = 1;

/** Channels of the three stages (the residual stream's widths), e.g. [16, 32, 64]. */
export type CifarResnetPlanes = readonly [number, number, number];

/** The paper's stage widths (width 1). */
export const CIFAR_RESNET_PLANES: CifarResnetPlanes = [16, 32, 64];

/**
 * What a CIFAR ResNet is, without its weights.
 *
 * Only the blocks' inner widths are in the cfg: the residual stream (stem, each block's conv2
 * and bn2 outputs, the shortcuts) keeps the stage widths `planes`, because every block of a
 * stage adds into the same tensor; narrowing it would need all blocks of a stage (and the
 * shortcut feeding them) to drop the same channels.
 */
export interface CifarResnetSpec {
  /** 6n+2, n >= 1 (8, 14, 20, 32, 44, 56, 110, ...). */
  readonly depth: number;
  /** Stage widths: the stem and stage 1, stage 2, stage 3. */
  readonly planes: CifarResnetPlanes;
  /** Inner width (conv1 output / bn1 / conv2 input) of every block, stage after stage: 3n entries. */
  readonly cfg: readonly number[];
}

/** `depth` as a valid depth 6n+2 >= 8; anything else is a one-line UsageError. */
export function validateCifarResnetDepth(depth: unknown): number {
  if (
    typeof depth !== "number" || !Number.isSafeInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0
  ) {
    throw new UsageError(
      `CIFAR ResNet depth must be 6n+2 >= 8 (20, 32, 44, 56, 110, ...), got ${String(depth)}`,
    );
  }
  return depth;
}

/** Basic blocks per stage (n) of a depth 6n+2. */
export function cifarBlocksPerStage(depth: number): number {
  return (validateCifarResnetDepth(depth) - 2) / 6;
}

/** The stage widths at `width`: [16, 32, 64] times `width`, rounded, at least 1. */
export function cifarResnetPlanes(width = 1): CifarResnetPlanes {
  if (typeof width !== "number" || !(width > 0) || !Number.isFinite(width)) {
    throw new UsageError(`width must be a positive number, got ${String(width)}`);
  }
  const [a, b, c] = CIFAR_RESNET_PLANES.map((p) => Math.max(1, Math.round(p * width)));
  return [a, b, c];
}

/** The unpruned cfg of `depth` at `width`: each block's inner width is its stage's width. */
export function defaultCifarResnetCfg(depth: number, width = 1): number[] {
  const n = cifarBlocksPerStage(depth);
  return cifarResnetPlanes(width).flatMap((p) => new Array<number>(n).fill(p));
}

/** The spec of a new (unpruned) model of `depth` at `width`. */
export function defaultCifarResnetSpec(
  depth = CIFAR_RESNET_DEFAULT_DEPTH,
  width = CIFAR_RESNET_DEFAULT_WIDTH,
): CifarResnetSpec {
  return {
    depth: validateCifarResnetDepth(depth),
    planes: cifarResnetPlanes(width),
    cfg: defaultCifarResnetCfg(depth, width),
  };
}

/**
 * Checks `spec`: a valid depth, three positive integer stage widths and 3n positive integer
 * inner widths. Returns a copy; every failure is a one-line UsageError.
 */
export function validateCifarResnetSpec(spec: CifarResnetSpec): CifarResnetSpec {
  const n = cifarBlocksPerStage(spec.depth);
  const planes: unknown = spec.planes;
  if (
    !Array.isArray(planes) || planes.length !== 3 ||
    !planes.every((p) => Number.isSafeInteger(p) && p > 0)
  ) {
    throw new UsageError(
      `CIFAR ResNet planes must be 3 positive integers, got ${JSON.stringify(planes)}`,
    );
  }
  const cfg: unknown = spec.cfg;
  if (!Array.isArray(cfg) || cfg.length !== 3 * n) {
    throw new UsageError(
      `a depth-${spec.depth} CIFAR ResNet cfg needs ${3 * n} entries (one per block), got ${
        Array.isArray(cfg) ? cfg.length : JSON.stringify(cfg)
      }`,
    );
  }
  cfg.forEach((v, i) => {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new UsageError(
        `CIFAR ResNet cfg entry ${i} (${
          cifarResnetBlockName(spec.depth, i)
        }) must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
  });
  return { depth: spec.depth, planes: [planes[0], planes[1], planes[2]], cfg: [...cfg] };
}

/** The PyTorch module name of block `b` (0-based, over all stages), e.g. `layer2.0`. */
export function cifarResnetBlockName(depth: number, b: number): string {
  const n = cifarBlocksPerStage(depth);
  return `layer${Math.floor(b / n) + 1}.${b % n}`;
}

/**
 * One label per pruned BN layer (each block's bn1), in cfg order, e.g. `layer1.0.bn1`: the
 * layer names of a prune report.
 */
export function cifarResnetBnLabels(depth: number): string[] {
  const n = cifarBlocksPerStage(depth);
  return Array.from({ length: 3 * n }, (_, b) => `${cifarResnetBlockName(depth, b)}.bn1`);
}

/** The depth a cfg of 3n entries belongs to (6n+2); anything else is a UsageError. */
export function cifarDepthOfCfg(cfg: readonly number[]): number {
  if (cfg.length < 3 || cfg.length % 3 !== 0) {
    throw new UsageError(`a CIFAR ResNet cfg has 3n entries (n >= 1), got ${cfg.length}`);
  }
  return 2 * cfg.length + 2;
}
