import assert from "node:assert/strict";
import { disposeTree, type NamedArray } from "@slimming/tensor-utils";
import type { ConvNode } from "@slimming/export/graph";
import { exportFiles, type ExportSpec } from "@slimming/export";
import { exportedOnnx, exportedTfjs, TEST_EXPORT_OPTIONS } from "@slimming/export/testing";
import { cifarResnetExportGraph, cifarResnetGraphFromStateDict } from "./export_graph.ts";
import { cifarResnetToStateDict } from "./state_dict.ts";
import { randomCifarResnet } from "./testing.ts";

/** Depth 14 (2 blocks per stage) at stage widths 4, 8, 16, pruned inner widths. */
const SPEC = { depth: 14, planes: [4, 8, 16] as const, cfg: [3, 4, 5, 8, 1, 16] };

async function stateDict(): Promise<Record<string, NamedArray>> {
  const params = randomCifarResnet(SPEC, 3, "distinct", 2);
  const dict = await cifarResnetToStateDict(params);
  disposeTree(params);
  return dict;
}

Deno.test("CIFAR ResNet graph: nodes, strides and widths per block; bad state_dicts are RangeErrors", async () => {
  const dict = await stateDict();
  const graph = cifarResnetGraphFromStateDict(SPEC, dict);
  const ops = graph.nodes.map((n) => n.op);
  const count = (op: string) => ops.filter((o) => o === op).length;
  assert.equal(count("conv"), 1 + 2 * 6 + 2, "stem, 2 per block, 2 projections");
  assert.equal(count("batchNorm"), 1 + 2 * 6 + 2);
  assert.equal(count("add"), 6);
  assert.equal(count("relu"), 1 + 2 * 6);
  assert.equal(count("select"), 0, "no channel selections: pruning narrows the convs");
  assert.deepEqual(ops.slice(-2), ["avgPool", "linear"]);
  assert.equal(graph.numClasses, 2);
  const convs = graph.nodes.filter((n): n is ConvNode => n.op === "conv");
  assert.deepEqual(
    convs.filter((n) => n.stride === 2).map((n) => n.name),
    ["layer2.0.conv1", "layer2.0.downsample.0", "layer3.0.conv1", "layer3.0.downsample.0"],
  );
  const widths = Object.fromEntries(convs.map((n) => [n.name, [n.inChannels, n.outChannels]]));
  assert.deepEqual(widths["layer2.1.conv1"], [8, 8]);
  assert.deepEqual(widths["layer3.0.conv1"], [8, 1]);
  assert.deepEqual(widths["layer3.0.conv2"], [1, 16]);
  assert.deepEqual(widths["layer3.0.downsample.0"], [8, 16]);
  const broken = { ...dict, "layer2.0.conv2.weight": dict["layer2.0.conv1.weight"] };
  assert.throws(() => cifarResnetGraphFromStateDict(SPEC, broken), RangeError);
  const missing = { ...dict };
  delete missing["layer3.1.bn1.running_var"];
  assert.throws(() => cifarResnetGraphFromStateDict(SPEC, missing), /layer3\.1\.bn1\.running_var/);
  assert.throws(
    () => cifarResnetGraphFromStateDict({ ...SPEC, cfg: [1] }, dict),
    /needs 6 entries/,
  );
});

Deno.test("CIFAR ResNet export: every BN folds (or none), spec in the metadata", async () => {
  const dict = await stateDict();
  const spec: ExportSpec = { arch: "cifar-resnet", ...SPEC };
  for (const foldBn of [true, false]) {
    const { ops, count, meta } = exportedOnnx(spec, dict, cifarResnetExportGraph, foldBn);
    assert.equal(count("BatchNormalization"), foldBn ? 0 : 15);
    assert.equal(count("Conv"), 15);
    assert.equal(count("Add"), 6);
    assert.equal(count("Gather"), 0);
    assert.deepEqual(ops.slice(-3), ["AveragePool", "Flatten", "Gemm"]);
    assert.equal(meta.arch, "cifar-resnet");
    assert.equal(meta.depth, 14);
    assert.deepEqual(meta.planes, [4, 8, 16]);
    assert.deepEqual(meta.cfg, SPEC.cfg);
    assert.equal(meta.foldBn, foldBn);
    const tfjs = exportedTfjs(spec, dict, cifarResnetExportGraph, foldBn);
    assert.equal(tfjs.count("BatchNormalization"), foldBn ? 0 : 15);
    assert.equal(tfjs.count("ZeroPadding2D"), 2, "stride-2 3x3 convs");
    assert.equal(tfjs.json.userDefinedMetadata.arch, "cifar-resnet");
  }
  const onnx = { ...TEST_EXPORT_OPTIONS, format: "onnx" as const, graph: cifarResnetExportGraph };
  assert.throws(() => exportFiles({ arch: "cifar-resnet", cfg: SPEC.cfg }, dict, onnx), /depth/);
});
