/**
 * A checkpoint written by `train` (and a pruned one) loads into PyTorch's reference model
 * with load_state_dict(strict=True) and gives the same eval-mode logits. Skipped when
 * `/usr/bin/python3 -c "import torch"` fails.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { forward } from "@slimming/vgg";
import { loadModel } from "@slimming/train";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";
import { haveTorch, runTorchScript } from "./torch_helpers.ts";

async function torchLogits(
  checkpoint: string,
  nchw: Float32Array,
  n: number,
): Promise<Float32Array> {
  const input = await Deno.makeTempFile({ suffix: ".f32" });
  await Deno.writeFile(input, new Uint8Array(nchw.buffer));
  try {
    const out = await runTorchScript<{ logits: number[] }>("torch_load.py", [
      checkpoint,
      input,
      String(n),
    ]);
    return Float32Array.from(out.logits);
  } finally {
    await Deno.remove(input);
  }
}

Deno.test({
  name: "checkpoints load into the PyTorch reference model (strict) and give the same logits",
  ignore: !haveTorch,
  fn: async () => {
    await tf.setBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "slimming-torch-" });
    const archive = await syntheticArchive(dir, 10, 2);
    const trained = await runCli([
      "train",
      "--cfg",
      TINY_CFG,
      "--epochs",
      "1",
      "--batch-size",
      "16",
      "--data",
      archive,
      "--out",
      `${dir}/run`,
      "--quiet",
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const pruned = await runCli([
      "prune",
      "--ratio",
      "0.6",
      "--checkpoint",
      `${dir}/run/last.safetensors`,
      "--out",
      `${dir}/p`,
      "--data",
      archive,
    ]);
    assert.equal(pruned.code, 0, pruned.stderr);
    const n = 3;
    const x = tf.randomNormal([n, 32, 32, 3], 0, 1, "float32", 9) as tf.Tensor4D;
    const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
    for (const file of [`${dir}/run/last.safetensors`, `${dir}/p/pruned.safetensors`]) {
      const { params } = await loadModel(file);
      assert.ok(params.arch === "vgg");
      const ours = tf.tidy(() =>
        forward(params, x, { training: false }).logits.dataSync() as Float32Array
      );
      const theirs = await torchLogits(file, nchw, n);
      const scale = Math.max(...Array.from(theirs, Math.abs));
      const diff = Math.max(...Array.from(theirs, (v, i) => Math.abs(v - ours[i])));
      assert.ok(diff <= 1e-4 * Math.max(1, scale), `${file}: max difference ${diff}`);
      disposeTree(params);
    }
    x.dispose();
    await Deno.remove(dir, { recursive: true });
  },
});
