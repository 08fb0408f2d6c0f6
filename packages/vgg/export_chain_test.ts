import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { exportFiles, TFJS_MODEL_FILE } from "@slimming/export";
import { descriptor } from "./descriptor.ts";
import { toStateDict, VGG_TAG, vggExportChain } from "./mod.ts";
import { randomBnVgg, SMALL_CFG } from "./testing.ts";

const options = { mean: [0.1, 0.2, 0.3], std: [1, 2, 3], classes: ["a", "b"], source: "x" };

Deno.test("a VGG exports through its descriptor's layer chain, with no arch in its metadata", async () => {
  const vgg = await randomBnVgg(SMALL_CFG, 6);
  const dict = await toStateDict(vgg);
  disposeTree(vgg);
  const spec = { arch: VGG_TAG, cfg: SMALL_CFG };
  for (const format of ["onnx", "tfjs"] as const) {
    const direct = exportFiles(spec, dict, { ...options, format, chain: vggExportChain });
    const viaDescriptor = exportFiles(spec, dict, {
      ...options,
      format,
      chain: descriptor.exportChain,
    });
    assert.deepEqual(viaDescriptor, direct);
  }
  const tfjs = exportFiles(spec, dict, { ...options, format: "tfjs", chain: vggExportChain });
  const json = JSON.parse(tfjs[TFJS_MODEL_FILE] as string);
  assert.equal(json.modelTopology.class_name, "Sequential");
  assert.equal(json.modelTopology.config.name, "vgg");
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
