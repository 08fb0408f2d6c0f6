import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { toStateDict as resnetStateDict } from "@slimming/resnet";
import { defaultResnetCfg, resnetPlanes } from "@slimming/resnet/cfg";
import { randomResnetParams } from "@slimming/resnet/testing";
import { densenetBnWidths, toStateDict as densenetStateDict } from "@slimming/densenet";
import { randomDensenet } from "@slimming/densenet/testing";
import { exportFiles, type ExportSpec, ONNX_FILE, TFJS_MODEL_FILE } from "./export_model.ts";
import { decodeOnnxModel } from "./onnx_model.ts";
import { TFJS_WEIGHTS_FILE } from "./tfjs_layers.ts";
import { toStateDict as vggStateDict } from "@slimming/vgg";
import { randomBnVgg, SMALL_CFG } from "./testing.ts";

const options = { mean: [0.1, 0.2, 0.3], std: [1, 2, 3], classes: ["a", "b"], source: "x" };

function onnxOps(spec: ExportSpec, dict: Parameters<typeof exportFiles>[1], foldBn: boolean) {
  const bytes = exportFiles(spec, dict, { ...options, format: "onnx", foldBn })[ONNX_FILE];
  const model = decodeOnnxModel(bytes as Uint8Array);
  const ops = model.graph!.node!.map((n) => n.opType!);
  const count = (op: string) => ops.filter((o) => o === op).length;
  const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, JSON.parse(p.value!)]));
  return { model, ops, count, meta };
}

function tfjsModel(spec: ExportSpec, dict: Parameters<typeof exportFiles>[1], foldBn: boolean) {
  const files = exportFiles(spec, dict, { ...options, format: "tfjs", foldBn });
  const json = JSON.parse(files[TFJS_MODEL_FILE] as string);
  const shard = files[TFJS_WEIGHTS_FILE] as Uint8Array;
  const specs = json.weightsManifest[0].weights as Array<{ shape: number[] }>;
  const values = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(shard.length, values * 4, "the manifest accounts for every byte of the shard");
  const classes = (json.modelTopology.config.layers as Array<{ class_name: string }>).map((l) =>
    l.class_name
  );
  return { json, count: (c: string) => classes.filter((x) => x === c).length };
}

Deno.test("ResNet export: bn2/bn3 fold into their convs, bn1 and the final BN stay; spec in metadata", async () => {
  const planes = resnetPlanes(0.25);
  const cfg = defaultResnetCfg(11, 0.25);
  const params = randomResnetParams({ depth: 11, planes, cfg }, 3, "distinct", 2);
  const dict = await resnetStateDict(params);
  disposeTree(params);
  const spec: ExportSpec = { arch: "resnet", depth: 11, planes, cfg };
  for (const foldBn of [true, false]) {
    const { model, ops, count, meta } = onnxOps(spec, dict, foldBn);
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
    const tfjs = tfjsModel(spec, dict, foldBn);
    assert.equal(tfjs.json.modelTopology.class_name, "Model");
    assert.equal(tfjs.count("BatchNormalization"), foldBn ? 4 : 10);
    assert.equal(tfjs.count("ZeroPadding2D"), 2, "the stride-2 3x3 convs pad explicitly");
    assert.equal(tfjs.count("Add"), 3);
    assert.equal(tfjs.json.userDefinedMetadata.layout, "NHWC");
    assert.deepEqual(tfjs.json.userDefinedMetadata.cfg, cfg);
  }
});

Deno.test("DenseNet export: every BN stays, a Gather per narrowed selection, concatenations", async () => {
  const depth = 10;
  const widths = densenetBnWidths(depth, 3);
  // Narrow every other selection.
  const cfg = widths.map((w, i) => (i % 2 === 0 ? Math.max(1, w - 2) : w));
  const params = randomDensenet({ depth, growthRate: 3, cfg }, 4, "distinct", 2);
  const dict = await densenetStateDict(params);
  disposeTree(params);
  const spec: ExportSpec = { arch: "densenet", depth, growthRate: 3, cfg };
  const narrowed = cfg.filter((c, i) => c < widths[i]).length;
  for (const foldBn of [true, false]) {
    const { count, meta } = onnxOps(spec, dict, foldBn);
    assert.equal(count("BatchNormalization"), 9, "no BN follows a conv it alone reads");
    assert.equal(count("Gather"), narrowed);
    assert.equal(count("Concat"), 6);
    assert.equal(count("AveragePool"), 3);
    assert.equal(count("Conv"), 1 + 6 + 2);
    assert.equal(meta.arch, "densenet");
    assert.equal(meta.depth, depth);
    assert.equal(meta.growthRate, 3);
    assert.deepEqual(meta.cfg, cfg);
    assert.equal(meta.planes, undefined);
    const tfjs = tfjsModel(spec, dict, foldBn);
    assert.equal(tfjs.count("Concatenate"), 6);
    // Selections are 1x1 convs: the stem, 6 dense layers, 2 transitions and one per narrowing.
    assert.equal(tfjs.count("Conv2D"), 9 + narrowed);
  }
});

Deno.test("export of a ResNet or DenseNet refuses a spec without its depth or a state_dict that does not fit", async () => {
  const planes = resnetPlanes(0.25);
  const cfg = defaultResnetCfg(11, 0.25);
  const params = randomResnetParams({ depth: 11, planes, cfg }, 5);
  const dict = await resnetStateDict(params);
  disposeTree(params);
  const onnx = { ...options, format: "onnx" as const };
  assert.throws(() => exportFiles({ arch: "resnet", planes, cfg }, dict, onnx), /depth/);
  assert.throws(
    () => exportFiles({ arch: "densenet", depth: 10, cfg: [1] }, dict, onnx),
    /growthRate/,
  );
  const wide = cfg.map((c, i) => (i === 1 ? c + 1 : c));
  assert.throws(
    () => exportFiles({ arch: "resnet", depth: 11, planes, cfg: wide }, dict, onnx),
    /layer1\.0\.conv1\.weight/,
  );
});

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
