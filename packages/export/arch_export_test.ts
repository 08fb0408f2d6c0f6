import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { UsageError } from "@slimming/tensor-utils/core";
import { toStateDict as vggStateDict } from "@slimming/vgg";
import { exportFiles, ONNX_FILE, TFJS_MODEL_FILE } from "./export_model.ts";
import { type ExportGraphBuilder, GRAPH_INPUT, GraphAssembler } from "./graph.ts";
import { decodeOnnxModel } from "./onnx_model.ts";
import { randomBnVgg, SMALL_CFG } from "./testing.ts";

const options = { mean: [0.1, 0.2, 0.3], std: [1, 2, 3], classes: ["a", "b"], source: "x" };

Deno.test("a VGG exports the same bytes from a bare cfg or an arch spec, with no arch in its metadata", async () => {
  const vgg = await randomBnVgg(SMALL_CFG, 6);
  const dict = await vggStateDict(vgg);
  disposeTree(vgg);
  for (const format of ["onnx", "tfjs"] as const) {
    const bare = exportFiles(SMALL_CFG, dict, { ...options, format });
    const tagged = exportFiles({ arch: "vgg", cfg: SMALL_CFG }, dict, { ...options, format });
    assert.deepEqual(tagged, bare);
  }
  const json = JSON.parse(
    exportFiles(SMALL_CFG, dict, { ...options, format: "tfjs" })[TFJS_MODEL_FILE] as string,
  );
  assert.deepEqual(Object.keys(json.userDefinedMetadata), [
    "mean",
    "std",
    "layout",
    "cfg",
    "foldBn",
    "classes",
    "source",
  ]);
});

/** A made-up architecture's graph: a 1x1 conv to 2 channels, 32x32 pool, a linear layer. */
const tinyGraph: ExportGraphBuilder = (spec) => {
  const g = new GraphAssembler();
  const conv = g.conv("conv", GRAPH_INPUT, new Float32Array(6).fill(0.5), {
    outChannels: 2,
    kernel: 1,
    stride: 1,
    pad: 0,
  });
  const pooled = g.avgPool("pool", conv, 32);
  const logits = g.linear("fc", pooled, new Float32Array(4).fill(1), new Float32Array(2));
  return {
    graph: g.graph("tiny", "a tiny test graph", logits),
    fields: { arch: spec.arch, depth: spec.depth, cfg: [2] },
  };
};

Deno.test("any other architecture exports through its descriptor's graph builder, or not at all", () => {
  const spec = { arch: "tiny", depth: 3, cfg: [2] };
  assert.throws(
    () => exportFiles(spec, {}, { ...options, format: "onnx" }),
    (e: Error) => e instanceof UsageError && e.message === "no export graph for a tiny",
  );
  const onnx = exportFiles(spec, {}, { ...options, format: "onnx", graph: tinyGraph });
  const model = decodeOnnxModel(onnx[ONNX_FILE] as Uint8Array);
  assert.deepEqual(model.metadataProps!.map((p) => p.key), [
    "mean",
    "std",
    "layout",
    "arch",
    "depth",
    "cfg",
    "foldBn",
    "classes",
    "source",
  ]);
  const tfjs = exportFiles(spec, {}, { ...options, format: "tfjs", graph: tinyGraph });
  const json = JSON.parse(tfjs[TFJS_MODEL_FILE] as string);
  assert.equal(json.userDefinedMetadata.arch, "tiny");
  assert.equal(json.modelTopology.class_name, "Model");
});
