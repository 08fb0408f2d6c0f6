/**
 * Parameter and FLOP counts of a pre-activation ResNet cfg, for 32x32 inputs.
 *
 * FLOPs follow the paper's convention (as `@slimming/vgg`'s counts): 2 x multiply-adds of
 * the conv layers (the downsampling 1x1 convs included) and the linear layer; BN, ReLU,
 * channel selection, the residual additions and pooling are not counted.
 *
 * @module
 */
import {
  blockInputWidths,
  blocksPerStage,
  RESNET_EXPANSION,
  RESNET_PLANES,
  type ResnetCfg,
  type ResnetPlanes,
  validateResnetCfg,
} from "./cfg.ts";

/** One bottleneck block's shape facts, in order. */
interface BlockShape {
  readonly inWidth: number;
  readonly outWidth: number;
  readonly stride: number;
  readonly downsample: boolean;
  readonly cfg: readonly [number, number, number];
}

/** Every block of a (valid) cfg with its widths and stride. */
export function blockShapes(
  cfg: ResnetCfg,
  depth: number,
  planes: ResnetPlanes = RESNET_PLANES,
): BlockShape[] {
  validateResnetCfg(cfg, depth, planes);
  const n = blocksPerStage(depth);
  return blockInputWidths(depth, planes).map((inWidth, b) => {
    const stage = Math.floor(b / n);
    const stride = stage > 0 && b % n === 0 ? 2 : 1;
    const outWidth = planes[stage] * RESNET_EXPANSION;
    return {
      inWidth,
      outWidth,
      stride,
      downsample: stride !== 1 || inWidth !== outWidth,
      cfg: [cfg[3 * b], cfg[3 * b + 1], cfg[3 * b + 2]],
    };
  });
}

/**
 * Parameters as PyTorch's `sum(p.numel() for p in model.parameters())` counts them on the
 * reference model: conv weights, BN weight and bias, the linear layer, and the channel
 * selections' `indexes` (nn.Parameters in the reference, one per channel of the BN they
 * follow); running statistics excluded. ResNet-164 on CIFAR-10: 1,711,338.
 */
export function countResnetParams(
  cfg: ResnetCfg,
  depth: number,
  numClasses = 10,
  planes: ResnetPlanes = RESNET_PLANES,
): number {
  let total = 9 * 3 * planes[0];
  for (const { inWidth, outWidth, downsample, cfg: [a, b, c] } of blockShapes(cfg, depth, planes)) {
    total += 3 * inWidth; // bn1 weight, bias, select.indexes
    total += a * b + 2 * b + 9 * b * c + 2 * c + c * outWidth;
    if (downsample) total += inWidth * outWidth;
  }
  const last = planes[2] * RESNET_EXPANSION;
  return total + 3 * last + cfg[cfg.length - 1] * numClasses + numClasses;
}

/** FLOPs (2 x multiply-adds) of one forward pass on an `inputSize` x `inputSize` image. */
export function countResnetFlops(
  cfg: ResnetCfg,
  depth: number,
  numClasses = 10,
  planes: ResnetPlanes = RESNET_PLANES,
  inputSize = 32,
): number {
  let size = inputSize;
  let macs = size * size * 9 * 3 * planes[0];
  for (
    const { inWidth, outWidth, stride, downsample, cfg: [a, b, c] } of blockShapes(
      cfg,
      depth,
      planes,
    )
  ) {
    const out = Math.floor((size - 1) / stride) + 1;
    macs += size * size * a * b + out * out * (9 * b * c + c * outWidth);
    if (downsample) macs += out * out * inWidth * outWidth;
    size = out;
  }
  return 2 * (macs + cfg[cfg.length - 1] * numClasses);
}
