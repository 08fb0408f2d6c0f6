/**
 * What an exported model says about itself: the input normalisation, layout and provenance.
 *
 * @module
 */
import type { Cfg } from "@slimming/vgg";

/**
 * Metadata stored in every exported model (tfjs `userDefinedMetadata`, ONNX `metadata_props`).
 * A VGG's has no `arch` (as VGG exports always were); a ResNet's and a DenseNet's name their
 * architecture and spec, like their checkpoints' metadata.
 */
export interface ExportMetadata {
  /** Per-channel mean subtracted from pixel / 255 (RGB). */
  readonly mean: readonly number[];
  /** Per-channel std the centred pixel is divided by. */
  readonly std: readonly number[];
  /** Input layout: "NHWC" (tfjs) or "NCHW" (ONNX). */
  readonly layout: "NHWC" | "NCHW";
  /** "resnet" or "densenet"; absent for a VGG. */
  readonly arch?: "resnet" | "densenet";
  /** ResNet and DenseNet: the depth. */
  readonly depth?: number;
  /** ResNet: the three stage widths. */
  readonly planes?: readonly number[];
  /** DenseNet: the growth rate. */
  readonly growthRate?: number;
  /** The cfg: VGG's list, or ResNet's and DenseNet's flat list of kept channels. */
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
