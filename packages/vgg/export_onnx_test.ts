import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { decodeOnnxModel, exportFiles, ONNX_FILE, ONNX_OPSET } from "@slimming/export";
import { toStateDict, VGG_TAG, vggExportChain } from "./mod.ts";
import { randomBnVgg, SMALL_CFG } from "./testing.ts";

const options = {
  mean: [0.1, 0.2, 0.3],
  std: [1, 2, 3],
  classes: ["a"],
  source: "x",
  chain: vggExportChain,
};
const spec = { arch: VGG_TAG, cfg: SMALL_CFG };

Deno.test("ONNX export: opset 13, symbolic batch, NCHW input, metadata, BN folded or kept", async () => {
  const params = await randomBnVgg(SMALL_CFG, 1);
  const dict = await toStateDict(params);
  disposeTree(params);
  for (const foldBn of [true, false]) {
    const bytes = exportFiles(spec, dict, { ...options, format: "onnx", foldBn })[ONNX_FILE];
    const model = decodeOnnxModel(bytes as Uint8Array);
    assert.equal(Number(model.opsetImport![0].version), ONNX_OPSET);
    const input = model.graph!.input![0].type!.tensorType!.shape!.dim!;
    assert.deepEqual(input.map((d) => d.dimParam || Number(d.dimValue)), ["batch", 3, 32, 32]);
    assert.equal(model.graph!.output![0].name, "logits");
    const ops = model.graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === "Conv").length, 8);
    assert.equal(ops.filter((o) => o === "BatchNormalization").length, foldBn ? 0 : 8);
    assert.equal(ops.filter((o) => o === "MaxPool").length, 4);
    assert.deepEqual(ops.slice(-3), ["AveragePool", "Flatten", "Gemm"]);
    const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, JSON.parse(p.value!)]));
    assert.deepEqual(meta.mean, options.mean);
    assert.equal(meta.layout, "NCHW");
    assert.equal(meta.foldBn, foldBn);
    const conv1 = model.graph!.initializer!.find((t) => t.name === "conv1.weight")!;
    assert.deepEqual(conv1.dims!.map(Number), [8, 3, 3, 3]);
    assert.equal(conv1.rawData!.length, 8 * 3 * 9 * 4);
  }
});
