/**
 * Parity of exported CIFAR ResNets (basic blocks): the logits of the tfjs export (stock tfjs
 * `cpu` backend, `tf.loadLayersModel` from the files) and of the ONNX export
 * (onnxruntime-node, in a child process: see tools/onnx_logits.ts) are within 1e-4 (max
 * abs) of our own eval-mode forward, BN folded and not, for a pruned ResNet-56 and a full
 * ResNet-20, with random weights, gammas and betas.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ExportSpec } from "@slimming/export";
import { nhwcToNchw, randomImages } from "@slimming/export/testing";
import { disposeTree } from "@slimming/tensor-utils";
import {
  cifarResnetForward,
  type CifarResnetParams,
  cifarResnetToStateDict,
  defaultCifarResnetSpec,
  pruneCifarResnet,
} from "@slimming/cifar-resnet";
import { calibrateRunningStats, randomCifarResnet } from "@slimming/cifar-resnet/testing";
import {
  exportSpecTo,
  forwardLogits,
  maxAbsDiff,
  onnxLogitsOf,
  tfjsLogits,
} from "./export_helpers.ts";

const TOLERANCE = 1e-4;
const N = 8;

/**
 * A CIFAR ResNet of `depth` with random tensors (running statistics from other random images,
 * so the logits keep a sane scale), pruned at `ratio` when `ratio` > 0.
 */
async function model(depth: number, ratio: number, seed: number): Promise<CifarResnetParams> {
  const full = calibrateRunningStats(randomCifarResnet(defaultCifarResnetSpec(depth), seed), 99);
  if (ratio === 0) return full;
  const { params } = await pruneCifarResnet(full, ratio);
  disposeTree(full);
  return params;
}

/** Exports `params` both ways, BN folded and not, and checks every runtime's logits against ours. */
async function checkParity(name: string, params: CifarResnetParams, seed: number): Promise<void> {
  const images = randomImages(N, seed);
  const spec: ExportSpec = {
    arch: "cifar-resnet",
    depth: params.depth,
    planes: params.planes,
    cfg: params.cfg,
  };
  const ours = await forwardLogits(cifarResnetForward, params, images, N);
  const dict = await cifarResnetToStateDict(params);
  const root = await Deno.makeTempDir({ prefix: "export-cifar-resnet-parity-" });
  const scale = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  try {
    const folds = [true, false];
    for (const foldBn of folds) {
      await exportSpecTo(spec, dict, "tfjs", `${root}/tfjs-${foldBn}`, foldBn);
      await exportSpecTo(spec, dict, "onnx", `${root}/onnx-${foldBn}`, foldBn);
    }
    const nchw = nhwcToNchw(images, N);
    const onnx = await onnxLogitsOf(folds.map((f) => ({ dir: `${root}/onnx-${f}`, nchw, n: N })));
    for (const [i, foldBn] of folds.entries()) {
      const tfjsDiff = maxAbsDiff(await tfjsLogits(`${root}/tfjs-${foldBn}`, images, N), ours);
      const onnxDiff = maxAbsDiff(onnx[i], ours);
      console.log(
        `${name}, fold-bn ${foldBn}: max |logit| ${scale.toFixed(3)}, max abs diff tfjs ` +
          `${tfjsDiff.toExponential(2)}, onnx ${onnxDiff.toExponential(2)}`,
      );
      assert.ok(tfjsDiff <= TOLERANCE, `${name} tfjs, fold-bn ${foldBn}: ${tfjsDiff}`);
      assert.ok(onnxDiff <= TOLERANCE, `${name} onnx, fold-bn ${foldBn}: ${onnxDiff}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("export parity: pruned CIFAR ResNet-56 (tfjs, ONNX; BN folded and not)", async () => {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const params = await model(56, 0.5, 56);
  assert.ok(params.cfg.some((c, b) => c < defaultCifarResnetSpec(56).cfg[b]), "pruned");
  await checkParity("CIFAR ResNet-56 pruned 50%", params, 21);
  disposeTree(params);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("export parity: full CIFAR ResNet-20 (tfjs, ONNX; BN folded and not)", async () => {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const params = await model(20, 0, 20);
  await checkParity("CIFAR ResNet-20 full", params, 20);
  disposeTree(params);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});
