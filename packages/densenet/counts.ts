/**
 * Parameter and FLOP counts of a DenseNet spec, for 32x32 inputs.
 *
 * FLOPs follow the project's (and the paper's) convention, as `@slimming/vgg`'s counts do:
 * 2 x multiply-adds of the convolutions and the linear layer; BN, ReLU, channel selection,
 * concatenation and pooling are not counted.
 *
 * @module
 */
import { densenetBnWidths, type DensenetSpec, validateDensenetSpec } from "./cfg.ts";

/** Options of {@linkcode countDensenetParams}. */
export interface CountParamsOptions {
  /**
   * Also count the `select.indexes` entries (one per BN channel), as the reference's
   * `sum(p.nelement() for p in model.parameters())` does: they are an nn.Parameter there,
   * though a mask that no optimizer step changes. Default false.
   */
  readonly withSelect?: boolean;
}

/** Per BN layer in forward order: its kind, full width, kept channels and feature size. */
function units(spec: DensenetSpec, inputSize: number) {
  validateDensenetSpec(spec);
  const widths = densenetBnWidths(spec.depth, spec.growthRate);
  const n = (spec.depth - 4) / 3;
  return widths.map((width, i) => {
    const block = Math.floor(i / (n + 1));
    const kind = i === widths.length - 1 ? "final" : i % (n + 1) === n ? "transition" : "dense";
    return { kind, width, kept: spec.cfg[i], size: inputSize / 2 ** block };
  });
}

/**
 * Trainable parameters: the first conv (3x3, 3 -> 2g), per BN layer its gamma and beta at
 * full width, each dense layer's conv3x3 (kept -> g), each transition's conv1x1 (kept ->
 * full width) and the linear layer (weight and bias). Running statistics are excluded, and
 * `select.indexes` unless `withSelect` (see {@linkcode CountParamsOptions}).
 */
export function countDensenetParams(
  spec: DensenetSpec,
  numClasses = 10,
  options: CountParamsOptions = {},
): number {
  let total = 9 * 3 * 2 * spec.growthRate;
  for (const u of units(spec, 32)) {
    total += 2 * u.width + (options.withSelect ? u.width : 0);
    if (u.kind === "dense") total += 9 * u.kept * spec.growthRate;
    else if (u.kind === "transition") total += u.kept * u.width;
    else total += u.kept * numClasses + numClasses;
  }
  return total;
}

/** FLOPs (2 x multiply-adds) of one forward pass on an `inputSize` x `inputSize` image. */
export function countDensenetFlops(spec: DensenetSpec, numClasses = 10, inputSize = 32): number {
  let macs = inputSize * inputSize * 9 * 3 * 2 * spec.growthRate;
  for (const u of units(spec, inputSize)) {
    const pixels = u.size * u.size;
    if (u.kind === "dense") macs += pixels * 9 * u.kept * spec.growthRate;
    else if (u.kind === "transition") macs += pixels * u.kept * u.width;
    else macs += u.kept * numClasses;
  }
  return 2 * macs;
}
