/**
 * From a checkpoint's state_dict to the files of an exported model.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { UsageError } from "@slimming/tensor-utils/core";
import type { Cfg } from "@slimming/vgg";
import type { ExportGraphBuilder, ExportSpec } from "./graph.ts";
import { foldGraphBatchNorm } from "./graph_fold.ts";
import { foldBatchNorm, inferenceModelFromStateDict } from "./inference_model.ts";
import type { ExportMetadata } from "./metadata.ts";
import { onnxGraphBytes } from "./onnx_graph.ts";
import { onnxModelBytes } from "./onnx_model.ts";
import { tfjsGraphArtifacts } from "./tfjs_graph.ts";
import { TFJS_WEIGHTS_FILE, tfjsLayersArtifacts } from "./tfjs_layers.ts";

export type { ExportSpec };

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
  /** Fold BN into the convolutions where a conv precedes it (default true). */
  readonly foldBn?: boolean;
  /** Input normalisation, classes and provenance stored with the model. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly classes: readonly string[];
  readonly source: string;
  /**
   * The architecture's export graph builder (its descriptor's `exportGraph`): how any
   * architecture but VGG exports. A VGG exports as a chain of layers without one.
   */
  readonly graph?: ExportGraphBuilder;
}

/**
 * The files (name -> content) of the exported model of `spec` + `stateDict`. A bare cfg list
 * is a VGG's (`{ arch: "vgg", cfg }`), whose export is unchanged: a Sequential tfjs model and
 * a chain of ONNX nodes. Any other architecture exports as the graph its `options.graph`
 * builds (a functional tfjs model); without a builder it is a UsageError.
 */
export function exportFiles(
  spec: ExportSpec | Cfg,
  stateDict: Readonly<Record<string, NamedArray>>,
  options: ExportOptions,
): Record<string, Uint8Array | string> {
  const arch: ExportSpec = Array.isArray(spec)
    ? { arch: "vgg", cfg: spec as Cfg }
    : spec as ExportSpec;
  const foldBn = options.foldBn ?? true;
  const common = {
    mean: [...options.mean],
    std: [...options.std],
    layout: options.format === "onnx" ? "NCHW" as const : "NHWC" as const,
  };
  const tail = { foldBn, classes: [...options.classes], source: options.source };
  if (arch.arch === "vgg") {
    const unfolded = inferenceModelFromStateDict(arch.cfg, stateDict);
    const model = foldBn ? foldBatchNorm(unfolded) : unfolded;
    const metadata: ExportMetadata = { ...common, cfg: [...arch.cfg], ...tail };
    if (options.format === "onnx") return { [ONNX_FILE]: onnxModelBytes(model, metadata) };
    const { modelJson, weights } = tfjsLayersArtifacts(model, metadata);
    return {
      [TFJS_MODEL_FILE]: JSON.stringify(modelJson, null, 1),
      [TFJS_WEIGHTS_FILE]: weights,
    };
  }
  if (!options.graph) throw new UsageError(`no export graph for a ${arch.arch}`);
  const { graph: unfolded, fields } = options.graph(arch, stateDict);
  const graph = foldBn ? foldGraphBatchNorm(unfolded) : unfolded;
  const metadata = { ...common, ...fields, ...tail } as ExportMetadata;
  if (options.format === "onnx") return { [ONNX_FILE]: onnxGraphBytes(graph, metadata) };
  const { modelJson, weights } = tfjsGraphArtifacts(graph, metadata);
  return {
    [TFJS_MODEL_FILE]: JSON.stringify(modelJson, null, 1),
    [TFJS_WEIGHTS_FILE]: weights,
  };
}
