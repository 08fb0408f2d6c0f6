import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { exportFiles, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from "@slimming/export";
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

Deno.test("tfjs export: the manifest's shapes account for every byte of the shard", async () => {
  const params = await randomBnVgg(SMALL_CFG, 2);
  const dict = await toStateDict(params);
  disposeTree(params);
  for (const foldBn of [true, false]) {
    const files = exportFiles(spec, dict, { ...options, format: "tfjs", foldBn });
    const json = JSON.parse(files[TFJS_MODEL_FILE] as string);
    const shard = files[TFJS_WEIGHTS_FILE] as Uint8Array;
    const specs = json.weightsManifest[0].weights as Array<{ shape: number[] }>;
    const values = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(shard.length, values * 4);
    const classes = json.modelTopology.config.layers.map((l: { class_name: string }) =>
      l.class_name
    );
    assert.equal(classes.filter((c: string) => c === "BatchNormalization").length, foldBn ? 0 : 8);
    assert.equal(json.modelTopology.config.layers[0].config.batch_input_shape[0], null);
    assert.equal(json.userDefinedMetadata.layout, "NHWC");
  }
});
