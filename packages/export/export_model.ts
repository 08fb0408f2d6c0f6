/**
 * From a checkpoint's state_dict to the files of an exported model.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { UsageError } from "@slimming/tensor-utils/core";
import type { Cfg } from "@slimming/vgg";
import { foldBatchNorm, inferenceModelFromStateDict } from "./inference_model.ts";
import type { ExportMetadata } from "./metadata.ts";
import { onnxModelBytes } from "./onnx_model.ts";
import { TFJS_WEIGHTS_FILE, tfjsLayersArtifacts } from "./tfjs_layers.ts";

/** The formats `exportFiles` writes. */
export const EXPORT_FORMATS = ["tfjs", "onnx"] as const;
/** One of {@linkcode EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** The ONNX model's file name. */
export const ONNX_FILE = "model.onnx";
/** The tfjs model's JSON file name. */
export const TFJS_MODEL_FILE = "model.json";

/** `text` as an export format; anything else is a UsageError. */
export function parseExportFormat(text: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(text)) return text as ExportFormat;
  throw new UsageError(`unknown format "${text}" (choose ${EXPORT_FORMATS.join(" or ")})`);
}

/** What to export and how. */
export interface ExportOptions {
  readonly format: ExportFormat;
  /** Fold BN into the convolutions (default true). */
  readonly foldBn?: boolean;
  /** Input normalisation, classes and provenance stored with the model. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly classes: readonly string[];
  readonly source: string;
}

/** The files (name -> content) of the exported model of `cfg` + `stateDict`. */
export function exportFiles(
  cfg: Cfg,
  stateDict: Readonly<Record<string, NamedArray>>,
  options: ExportOptions,
): Record<string, Uint8Array | string> {
  const foldBn = options.foldBn ?? true;
  const unfolded = inferenceModelFromStateDict(cfg, stateDict);
  const model = foldBn ? foldBatchNorm(unfolded) : unfolded;
  const metadata: ExportMetadata = {
    mean: [...options.mean],
    std: [...options.std],
    layout: options.format === "onnx" ? "NCHW" : "NHWC",
    cfg: [...cfg],
    foldBn,
    classes: [...options.classes],
    source: options.source,
  };
  if (options.format === "onnx") return { [ONNX_FILE]: onnxModelBytes(model, metadata) };
  const { modelJson, weights } = tfjsLayersArtifacts(model, metadata);
  return {
    [TFJS_MODEL_FILE]: JSON.stringify(modelJson, null, 1),
    [TFJS_WEIGHTS_FILE]: weights,
  };
}
