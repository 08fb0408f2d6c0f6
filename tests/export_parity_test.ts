/**
 * Parity of exported models: the logits of the tfjs export (stock tfjs `cpu` backend, loaded by
 * `tf.loadLayersModel` from the files) and of the ONNX export (onnxruntime-node) equal ours
 * within 1e-4 relative, for a full, a 50% and a 90% pruned model, BN folded and not, on real
 * CIFAR-10 test images (when CIFAR10_PATH or the shared archive is there) and synthetic ones.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadCifar, makeBatch } from "@slimming/cifar";
import { disposeTree } from "@slimming/tensor-utils";
import { prune, type VggParams } from "@slimming/vgg";
import { nhwcToNchw, randomImages } from "@slimming/export/testing";
import { randomBnVgg, SMALL_CFG } from "@slimming/vgg/testing";
import { exportTo, onnxLogits, ourLogits, relativeError, tfjsLogits } from "./export_helpers.ts";

const TOLERANCE = 1e-4;
const DEFAULT_ARCHIVE = "/work/shared/datasets/cifar-10-binary.tar.gz";

function safeStat(path: string | undefined): string | undefined {
  try {
    return path && Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

const archive = safeStat(Deno.env.get("CIFAR10_PATH")) ?? safeStat(DEFAULT_ARCHIVE);

async function realImages(count: number): Promise<Float32Array> {
  const data = await loadCifar(archive!);
  return makeBatch(data.test, Int32Array.from({ length: count }, (_, i) => i), { augment: false })
    .x;
}

/** The full model and its 50% and 90% prunings (real `prune`, min 1 channel per layer). */
async function models(seed: number): Promise<Array<[string, VggParams]>> {
  const full = await randomBnVgg(SMALL_CFG, seed);
  return [
    ["full", full],
    ["50%", prune(full, 0.5).params],
    ["90%", prune(full, 0.9).params],
  ];
}

async function checkParity(images: Float32Array, n: number, seed: number): Promise<void> {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const nchw = nhwcToNchw(images, n);
  const list = await models(seed);
  const root = await Deno.makeTempDir({ prefix: "export-parity-" });
  try {
    for (const [name, params] of list) {
      const ours = await ourLogits(params, images, n);
      for (const foldBn of [true, false]) {
        const tag = `${name}, fold-bn ${foldBn}`;
        await exportTo(params, "tfjs", `${root}/${name}-${foldBn}-tfjs`, foldBn);
        await exportTo(params, "onnx", `${root}/${name}-${foldBn}-onnx`, foldBn);
        const tfjsError = relativeError(
          await tfjsLogits(`${root}/${name}-${foldBn}-tfjs`, images, n),
          ours,
        );
        const onnxError = relativeError(
          await onnxLogits(`${root}/${name}-${foldBn}-onnx`, nchw, n),
          ours,
        );
        assert.ok(tfjsError <= TOLERANCE, `tfjs ${tag}: relative error ${tfjsError}`);
        assert.ok(onnxError <= TOLERANCE, `onnx ${tag}: relative error ${onnxError}`);
      }
    }
  } finally {
    for (const [, params] of list) disposeTree(params);
    await Deno.remove(root, { recursive: true });
  }
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
}

Deno.test("exported tfjs and ONNX logits equal ours on synthetic images (full, 50%, 90%)", async () => {
  await checkParity(randomImages(64, 1), 64, 5);
});

Deno.test({
  name: "exported tfjs and ONNX logits equal ours on 256 real CIFAR-10 test images",
  ignore: archive === undefined,
  async fn() {
    await checkParity(await realImages(256), 256, 6);
  },
});

if (archive === undefined) {
  console.log(
    "export parity: no CIFAR-10 archive (set CIFAR10_PATH); the real-image parity is skipped",
  );
}
