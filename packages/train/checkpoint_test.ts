import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CheckpointError, disposeTree, encodeSafetensors } from "@slimming/tensor-utils";
import { ARCH_NAMES, architecture, type CfgItem } from "@slimming/architectures";
import { checkpointSpec, loadModel, saveModel } from "./checkpoint.ts";

await tf.setBackend("cpu");

const CFG: CfgItem[] = [4, "M", 4, "M", 8, "M", 8, "M", 8];

/** A tiny VGG's checkpoint bytes, with `metadata` in place of what `saveModel` writes. */
async function vggCheckpoint(dir: string, metadata?: Record<string, string>): Promise<string> {
  const vgg = architecture("vgg");
  const params = vgg.init(vgg.specFor({ width: 1, cfg: CFG }), { seed: 1, numClasses: 10 });
  try {
    const path = `${dir}/m.safetensors`;
    if (metadata) {
      await Deno.writeFile(path, encodeSafetensors(await vgg.toStateDict(params), metadata));
    } else await saveModel(path, params, { epoch: "1" });
    return path;
  } finally {
    disposeTree(params);
  }
}

Deno.test("checkpoints carry their arch tag; an old untagged VGG checkpoint loads as before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-ckpt-" });
  try {
    const tagged = await vggCheckpoint(dir);
    const { params, metadata } = await loadModel(tagged);
    assert.equal(metadata.arch, "vgg");
    assert.equal(params.arch, "vgg");
    disposeTree(params);
    const old = await vggCheckpoint(dir, { format: "pt", cfg: JSON.stringify(CFG) });
    assert.deepEqual(await checkpointSpec(old), { arch: "vgg", cfg: CFG });
    const loaded = await loadModel(old);
    assert.equal(loaded.params.arch, "vgg");
    disposeTree(loaded.params);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint with an unknown arch tag is a one-line CheckpointError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-ckpt-" });
  try {
    const path = await vggCheckpoint(dir, { format: "pt", arch: "lenet", cfg: "[4]" });
    await assert.rejects(
      () => loadModel(path),
      (e: Error) =>
        e instanceof CheckpointError && !e.message.includes("\n") &&
        e.message.endsWith(`arch "lenet" in its metadata is none of ${ARCH_NAMES.join(", ")}`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
