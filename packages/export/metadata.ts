/**
 * What an exported model says about itself: the input normalisation, layout and provenance.
 *
 * @module
 */
import type { Cfg } from "@slimming/vgg";

/** Metadata stored in every exported model (tfjs `userDefinedMetadata`, ONNX `metadata_props`). */
export interface ExportMetadata {
  /** Per-channel mean subtracted from pixel / 255 (RGB). */
  readonly mean: readonly number[];
  /** Per-channel std the centred pixel is divided by. */
  readonly std: readonly number[];
  /** Input layout: "NHWC" (tfjs) or "NCHW" (ONNX). */
  readonly layout: "NHWC" | "NCHW";
  /** The VGG cfg of the model. */
  readonly cfg: Cfg;
  /** Whether BN was folded into the convolutions. */
  readonly foldBn: boolean;
  /** Class names, in logit order. */
  readonly classes: readonly string[];
  /** The checkpoint it was exported from. */
  readonly source: string;
}

/** The metadata as string pairs (ONNX metadata_props): every value JSON. */
export function metadataEntries(metadata: ExportMetadata): Array<{ key: string; value: string }> {
  return Object.entries(metadata).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
}
