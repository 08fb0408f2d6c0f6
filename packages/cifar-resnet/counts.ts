/**
 * Block shapes, parameter and FLOP counts of a CIFAR ResNet spec, for 32x32 inputs.
 *
 * FLOPs follow the convention of this project's other counts (and the paper's): 2 x the
 * multiply-adds of the conv layers (projection shortcuts included) and the linear layer; BN,
 * ReLU, the residual additions and pooling are not counted. ResNet-56 has 855,770 parameters
 * and 2.51e8 FLOPs (1.26e8 multiply-adds, the figure He et al. quote as "FLOPs").
 *
 * @module
 */
import { cifarBlocksPerStage, type CifarResnetSpec, validateCifarResnetSpec } from "./cfg.ts";

/** One basic block's widths and stride. */
export interface BasicBlockShape {
  /** Channels of the block's input (the residual stream before it). */
  readonly inWidth: number;
  /** conv1's output channels, bn1's width, conv2's input channels (its cfg entry). */
  readonly inner: number;
  /** Channels of the block's output: its stage's width. */
  readonly outWidth: number;
  /** 2 in the first block of stages 2 and 3, else 1 (conv1's and the shortcut's stride). */
  readonly stride: number;
  /** Whether the shortcut is a 1x1 conv + BN (the shape changes), else the identity. */
  readonly projection: boolean;
}

/** Every block of a (valid) spec, in order. */
export function cifarResnetBlockShapes(spec: CifarResnetSpec): BasicBlockShape[] {
  const { depth, planes, cfg } = validateCifarResnetSpec(spec);
  const n = cifarBlocksPerStage(depth);
  let inWidth = planes[0];
  return cfg.map((inner, b) => {
    const stage = Math.floor(b / n);
    const stride = stage > 0 && b % n === 0 ? 2 : 1;
    const outWidth = planes[stage];
    const shape = {
      inWidth,
      inner,
      outWidth,
      stride,
      projection: stride !== 1 || inWidth !== outWidth,
    };
    inWidth = outWidth;
    return shape;
  });
}

/**
 * Parameters as PyTorch's `sum(p.numel() for p in model.parameters())` counts them: conv
 * weights (no biases), BN weight and bias, the linear layer; running statistics excluded.
 */
export function countCifarResnetParams(spec: CifarResnetSpec, numClasses = 10): number {
  const p0 = spec.planes[0];
  let total = 27 * p0 + 2 * p0;
  for (const { inWidth, inner, outWidth, projection } of cifarResnetBlockShapes(spec)) {
    total += 9 * inWidth * inner + 2 * inner + 9 * inner * outWidth + 2 * outWidth;
    if (projection) total += inWidth * outWidth + 2 * outWidth;
  }
  return total + spec.planes[2] * numClasses + numClasses;
}

/** FLOPs (2 x multiply-adds) of one forward pass on an `inputSize` x `inputSize` image. */
export function countCifarResnetFlops(
  spec: CifarResnetSpec,
  numClasses = 10,
  inputSize = 32,
): number {
  let size = inputSize;
  let macs = size * size * 27 * spec.planes[0];
  for (const { inWidth, inner, outWidth, stride, projection } of cifarResnetBlockShapes(spec)) {
    const out = Math.floor((size - 1) / stride) + 1;
    macs += out * out * (9 * inWidth * inner + 9 * inner * outWidth);
    if (projection) macs += out * out * inWidth * outWidth;
    size = out;
  }
  return 2 * (macs + spec.planes[2] * numClasses);
}
