import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { exportFiles, type ExportSpec } from "@slimming/export";
import { exportedOnnx, exportedTfjs, TEST_EXPORT_OPTIONS } from "@slimming/export/testing";
import { defaultResnetCfg, resnetPlanes } from "./cfg.ts";
import { resnetExportGraph } from "./export_graph.ts";
import { toStateDict as resnetStateDict } from "./state_dict.ts";
import { randomResnetParams } from "./testing.ts";

Deno.test("ResNet export: bn2/bn3 fold into their convs, bn1 and the final BN stay; spec in metadata", async () => {
  const planes = resnetPlanes(0.25);
  const cfg = defaultResnetCfg(11, 0.25);
  const params = randomResnetParams({ depth: 11, planes, cfg }, 3, "distinct", 2);
  const dict = await resnetStateDict(params);
  disposeTree(params);
  const spec: ExportSpec = { arch: "resnet", depth: 11, planes, cfg };
  for (const foldBn of [true, false]) {
    const { model, ops, count, meta } = exportedOnnx(spec, dict, resnetExportGraph, foldBn);
    // 3 blocks: 3 BNs each and the final one; bn2 and bn3 fold.
    assert.equal(count("BatchNormalization"), foldBn ? 4 : 10);
    assert.equal(count("Conv"), 1 + 3 * 3 + 3, "stem, 3 per block, 3 downsampling convs");
    assert.equal(count("Add"), 3);
    assert.equal(count("Gather"), 0, "a full model selects nothing");
    assert.deepEqual(ops.slice(-3), ["AveragePool", "Flatten", "Gemm"]);
    assert.equal(model.graph!.output![0].name, "logits");
    assert.equal(meta.arch, "resnet");
    assert.equal(meta.depth, 11);
    assert.deepEqual(meta.planes, [...planes]);
    assert.deepEqual(meta.cfg, cfg);
    assert.equal(meta.foldBn, foldBn);
    assert.equal(meta.growthRate, undefined);
    const stride2 = model.graph!.node!.filter((n) =>
      n.opType === "Conv" && Number(n.attribute!.find((a) => a.name === "strides")!.ints![0]) === 2
    );
    assert.deepEqual(stride2.map((n) => n.name), [
      "layer2.0.conv2",
      "layer2.0.downsample.0",
      "layer3.0.conv2",
      "layer3.0.downsample.0",
    ]);
    const tfjs = exportedTfjs(spec, dict, resnetExportGraph, foldBn);
    assert.equal(tfjs.json.modelTopology.class_name, "Model");
    assert.equal(tfjs.count("BatchNormalization"), foldBn ? 4 : 10);
    assert.equal(tfjs.count("ZeroPadding2D"), 2, "the stride-2 3x3 convs pad explicitly");
    assert.equal(tfjs.count("Add"), 3);
    assert.equal(tfjs.json.userDefinedMetadata.layout, "NHWC");
    assert.deepEqual(tfjs.json.userDefinedMetadata.cfg, cfg);
  }
});

Deno.test("ResNet export refuses a spec without its depth or a state_dict that does not fit", async () => {
  const planes = resnetPlanes(0.25);
  const cfg = defaultResnetCfg(11, 0.25);
  const params = randomResnetParams({ depth: 11, planes, cfg }, 5);
  const dict = await resnetStateDict(params);
  disposeTree(params);
  const onnx = { ...TEST_EXPORT_OPTIONS, format: "onnx" as const, graph: resnetExportGraph };
  assert.throws(() => exportFiles({ arch: "resnet", planes, cfg }, dict, onnx), /depth/);
  const wide = cfg.map((c, i) => (i === 1 ? c + 1 : c));
  assert.throws(
    () => exportFiles({ arch: "resnet", depth: 11, planes, cfg: wide }, dict, onnx),
    /layer1\.0\.conv1\.weight/,
  );
});
