/**
 * What an exported model says about itself: the input normalisation, layout and provenance.
 *
 * @module
 */
import type { Cfg } from "@slimming/vgg";

/**
 * Metadata stored in every exported model (tfjs `userDefinedMetadata`, ONNX `metadata_props`).
 * A VGG's has no `arch` (as VGG exports always were); any other architecture's names its
 * architecture and spec (its export graph's spec fields), like its checkpoints' metadata.
 */
export interface ExportMetadata {
  /** Per-channel mean subtracted from pixel / 255 (RGB). */
  readonly mean: readonly number[];
  /** Per-channel std the centred pixel is divided by. */
  readonly std: readonly number[];
  /** Input layout: "NHWC" (tfjs) or "NCHW" (ONNX). */
  readonly layout: "NHWC" | "NCHW";
  /** The architecture's tag ("resnet", "densenet", ...); absent for a VGG. */
  readonly arch?: string;
  /** The depth, where the architecture's spec has one (ResNet, DenseNet). */
  readonly depth?: number;
  /** The stage widths, where the spec has them (ResNet). */
  readonly planes?: readonly number[];
  /** The growth rate, where the spec has one (DenseNet). */
  readonly growthRate?: number;
  /** The cfg: VGG's list, or a graph architecture's flat list of kept channels. */
  readonly cfg: Cfg;
  /** Whether BN was folded into the convolutions. */
  readonly foldBn: boolean;
  /** Class names, in logit order. */
  readonly classes: readonly string[];
  /** The checkpoint it was exported from. */
  readonly source: string;
}

/** The metadata as string pairs (ONNX metadata_props): every value JSON; absent fields left out. */
export function metadataEntries(metadata: ExportMetadata): Array<{ key: string; value: string }> {
  return Object.entries(metadata)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: JSON.stringify(value) }));
}
