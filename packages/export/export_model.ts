/**
 * From a checkpoint's state_dict to the files of an exported model.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { UsageError } from "@slimming/tensor-utils/core";
import type { ExportGraphBuilder, ExportSpec } from "./graph.ts";
import { foldGraphBatchNorm } from "./graph_fold.ts";
import { type ExportChainBuilder, foldBatchNorm } from "./inference_model.ts";
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
   * The architecture's export graph builder (its descriptor's `exportGraph`), for an
   * architecture exported as a graph.
   */
  readonly graph?: ExportGraphBuilder;
  /**
   * The architecture's layer chain builder (its descriptor's `exportChain`), for an
   * architecture exported as a chain of layers; it takes precedence over `graph`.
   */
  readonly chain?: ExportChainBuilder;
}

/**
 * The files (name -> content) of the exported model of `spec` + `stateDict`. An architecture
 * with a layer chain builder (`options.chain`) exports as a Sequential tfjs model and a chain
 * of ONNX nodes, its metadata naming only its cfg; one with a graph builder (`options.graph`)
 * as the graph it builds (a functional tfjs model). Without a builder it is a UsageError.
 */
export function exportFiles(
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
  options: ExportOptions,
): Record<string, Uint8Array | string> {
  const arch = spec;
  const foldBn = options.foldBn ?? true;
  const common = {
    mean: [...options.mean],
    std: [...options.std],
    layout: options.format === "onnx" ? "NCHW" as const : "NHWC" as const,
  };
  const tail = { foldBn, classes: [...options.classes], source: options.source };
  if (options.chain) {
    const built = options.chain(arch, stateDict);
    const chain = foldBn ? { ...built, model: foldBatchNorm(built.model) } : built;
    const metadata: ExportMetadata = { ...common, cfg: [...arch.cfg], ...tail };
    if (options.format === "onnx") return { [ONNX_FILE]: onnxModelBytes(chain, metadata) };
    const { modelJson, weights } = tfjsLayersArtifacts(chain, metadata);
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
