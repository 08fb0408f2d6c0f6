/**
 * Test models for the export tests: small VGGs with random BN statistics (so folding and
 * pruning are not trivial), as a parameter tree and as its state_dict; and an architecture's
 * ONNX and tfjs exports, decoded, for its export graph's tests.
 *
 * @module
 */
import { createRng, disposeTree, type NamedArray } from "@slimming/tensor-utils";
import { type Cfg, fromStateDict, initVgg, toStateDict, type VggParams } from "@slimming/vgg";
import { exportFiles, ONNX_FILE, TFJS_MODEL_FILE } from "./export_model.ts";
import type { ExportGraphBuilder, ExportSpec } from "./graph.ts";
import { decodeOnnxModel } from "./onnx_model.ts";
import { TFJS_WEIGHTS_FILE } from "./tfjs_layers.ts";

/** VGG-11 at width 1/8: 8, M, 16, M, 32, 32, M, 64, 64, M, 64, 64. */
export const SMALL_CFG: Cfg = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64];

/**
 * A model of `cfg` with the reference initialisation for convs and head and random BN
 * tensors: |gamma| spread over [0.02, 1.5) with random signs, beta N(0, 0.2), running mean
 * N(0, 0.3), running variance in [0.3, 2), head bias N(0, 0.1). New tensors the caller disposes.
 */
export async function randomBnVgg(cfg: Cfg, seed: number): Promise<VggParams> {
  const init = initVgg({ cfg, seed });
  const dict: Record<string, NamedArray> = await toStateDict(init);
  disposeTree(init);
  const rng = createRng(seed, 99);
  for (const [key, entry] of Object.entries(dict)) {
    if (!(entry.data instanceof Float32Array) || entry.shape.length !== 1) continue;
    const data = entry.data;
    for (let i = 0; i < data.length; i++) {
      if (key.endsWith(".weight")) {
        data[i] = (0.02 + 1.48 * rng.next()) * (rng.next() < 0.15 ? -1 : 1);
      } else if (key.endsWith("running_mean")) data[i] = 0.3 * rng.normal();
      else if (key.endsWith("running_var")) data[i] = 0.3 + 1.7 * rng.next();
      else if (key === "classifier.bias") data[i] = 0.1 * rng.normal();
      else if (key.endsWith(".bias")) data[i] = 0.2 * rng.normal();
    }
  }
  return fromStateDict({ metadata: { cfg: JSON.stringify(cfg) }, tensors: dict });
}

/** `count` NHWC images [count, 32, 32, 3] of N(0, 1) values (already "normalised"). */
export function randomImages(count: number, seed: number): Float32Array {
  const rng = createRng(seed, 7);
  return Float32Array.from({ length: count * 3072 }, () => rng.normal());
}

/** NHWC -> NCHW for [n, 32, 32, 3] images. */
export function nhwcToNchw(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[b * 3072 + c * 1024 + p] = x[b * 3072 + p * 3 + c];
    }
  }
  return out;
}

/** Normalisation, classes and provenance for test exports. */
export const TEST_EXPORT_OPTIONS = {
  mean: [0.1, 0.2, 0.3],
  std: [1, 2, 3],
  classes: ["a", "b"],
  source: "x",
} as const;

/** An ONNX export, decoded: the model, its op types in order, a counter of one op type, its metadata. */
export interface ExportedOnnx {
  readonly model: ReturnType<typeof decodeOnnxModel>;
  readonly ops: readonly string[];
  count(op: string): number;
  readonly meta: Record<string, unknown>;
}

/** A tfjs export: its model.json parsed and a counter of one layer class. */
export interface ExportedTfjs {
  // deno-lint-ignore no-explicit-any
  readonly json: any;
  count(layerClass: string): number;
}

/**
 * The ONNX export of `spec` + `dict` through `graph` (an architecture's `exportGraph`): the
 * decoded model, its op types in order, a counter of one op type, and its metadata parsed.
 */
export function exportedOnnx(
  spec: ExportSpec,
  dict: Readonly<Record<string, NamedArray>>,
  graph: ExportGraphBuilder,
  foldBn: boolean,
): ExportedOnnx {
  const options = { ...TEST_EXPORT_OPTIONS, format: "onnx" as const, foldBn, graph };
  const model = decodeOnnxModel(exportFiles(spec, dict, options)[ONNX_FILE] as Uint8Array);
  const ops = model.graph!.node!.map((n) => n.opType!);
  const count = (op: string) => ops.filter((o) => o === op).length;
  const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, JSON.parse(p.value!)]));
  return { model, ops, count, meta };
}

/**
 * The tfjs export of `spec` + `dict` through `graph`: its model.json parsed and a counter of
 * one layer class (a RangeError when the manifest does not account for every shard byte).
 */
export function exportedTfjs(
  spec: ExportSpec,
  dict: Readonly<Record<string, NamedArray>>,
  graph: ExportGraphBuilder,
  foldBn: boolean,
): ExportedTfjs {
  const options = { ...TEST_EXPORT_OPTIONS, format: "tfjs" as const, foldBn, graph };
  const files = exportFiles(spec, dict, options);
  const json = JSON.parse(files[TFJS_MODEL_FILE] as string);
  const shard = files[TFJS_WEIGHTS_FILE] as Uint8Array;
  const specs = json.weightsManifest[0].weights as Array<{ shape: number[] }>;
  const values = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (shard.length !== values * 4) {
    throw new RangeError(`the manifest has ${values} values, the shard ${shard.length} bytes`);
  }
  const classes = (json.modelTopology.config.layers as Array<{ class_name: string }>).map((l) =>
    l.class_name
  );
  return { json, count: (c: string) => classes.filter((x) => x === c).length };
}
