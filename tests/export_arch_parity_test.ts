/**
 * Parity of exported pre-activation ResNets and DenseNets: the logits of the tfjs export
 * (stock tfjs `cpu` backend, `tf.loadLayersModel` from the files) and of the ONNX export
 * (onnxruntime-node, in a child process) are within 1e-4 (max abs) of our own eval-mode
 * forward, BN folded and not, for a pruned ResNet-20, a ResNet-56 (full and pruned) and a
 * pruned DenseNet-16 (growth rate 12), all with random weights, BN statistics and gammas.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  decodeOnnxModel,
  exportFiles,
  type ExportOptions,
  type ExportSpec,
  ONNX_FILE,
} from "@slimming/export";
import { nhwcToNchw, randomImages } from "@slimming/export/testing";
import { disposeTree, type NamedArray } from "@slimming/tensor-utils";
import { architecture } from "@slimming/architectures";
import {
  forward as resnetForward,
  type ResnetParams,
  toStateDict as resnetStateDict,
} from "@slimming/resnet";
import {
  type DensenetParams,
  forward as densenetForward,
  toStateDict as densenetStateDict,
} from "@slimming/densenet";
import {
  exportSpecTo,
  forwardLogits,
  maxAbsDiff,
  onnxLogitsOf,
  randomDensenetModel,
  randomResnet,
  tfjsLogits,
} from "./export_helpers.ts";

const TOLERANCE = 1e-4;
const N = 8;

interface Case {
  readonly spec: ExportSpec;
  readonly dict: Record<string, NamedArray>;
  readonly ours: Float32Array;
}

async function resnetCase(params: ResnetParams, images: Float32Array): Promise<Case> {
  const spec: ExportSpec = {
    arch: "resnet",
    depth: params.depth,
    planes: params.planes,
    cfg: params.cfg,
  };
  const ours = await forwardLogits(resnetForward, params, images, N);
  const dict = await resnetStateDict(params);
  disposeTree(params);
  return { spec, dict, ours };
}

async function densenetCase(params: DensenetParams, images: Float32Array): Promise<Case> {
  const spec: ExportSpec = {
    arch: "densenet",
    depth: params.depth,
    growthRate: params.growthRate,
    cfg: params.cfg,
  };
  const ours = await forwardLogits(densenetForward, params, images, N);
  const dict = await densenetStateDict(params);
  disposeTree(params);
  return { spec, dict, ours };
}

/** Exports `c` both ways, BN folded and not, and checks every runtime's logits against ours. */
async function checkParity(name: string, c: Case, images: Float32Array): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "export-arch-parity-" });
  const nchw = nhwcToNchw(images, N);
  const scale = c.ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  try {
    const folds = [true, false];
    for (const foldBn of folds) {
      await exportSpecTo(c.spec, c.dict, "tfjs", `${root}/tfjs-${foldBn}`, foldBn);
      await exportSpecTo(c.spec, c.dict, "onnx", `${root}/onnx-${foldBn}`, foldBn);
    }
    const onnx = await onnxLogitsOf(folds.map((f) => ({ dir: `${root}/onnx-${f}`, nchw, n: N })));
    for (const [i, foldBn] of folds.entries()) {
      const tfjsDiff = maxAbsDiff(await tfjsLogits(`${root}/tfjs-${foldBn}`, images, N), c.ours);
      const onnxDiff = maxAbsDiff(onnx[i], c.ours);
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

/** The number of Gather nodes (channel selections) of `c`'s ONNX export. */
function gatherCount(c: Case): number {
  const options = {
    format: "onnx",
    mean: [0, 0, 0],
    std: [1, 1, 1],
    classes: [],
    source: "x",
    graph: architecture(c.spec.arch).exportGraph,
  };
  const bytes = exportFiles(c.spec, c.dict, options as ExportOptions)[ONNX_FILE] as Uint8Array;
  return decodeOnnxModel(bytes).graph!.node!.filter((n) => n.opType === "Gather").length;
}

Deno.test("export parity: pruned pre-activation ResNet-20 (tfjs, ONNX; BN folded and not)", async () => {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const images = randomImages(N, 21);
  const c = await resnetCase(await randomResnet(20, 0.5, 0.5, 20), images);
  assert.ok(gatherCount(c) > 0, "the pruned model selects channels");
  await checkParity("ResNet-20 pruned 50%", c, images);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("export parity: pre-activation ResNet-56, full and pruned (tfjs, ONNX)", async () => {
  await tf.setBackend("cpu");
  const images = randomImages(N, 56);
  const full = await resnetCase(await randomResnet(56, 0.25, 0, 56), images);
  assert.equal(gatherCount(full), 0, "a full model selects nothing");
  await checkParity("ResNet-56 full", full, images);
  const pruned = await resnetCase(await randomResnet(56, 0.25, 0.4, 56), images);
  assert.ok(gatherCount(pruned) > 0, "the pruned model selects channels");
  await checkParity("ResNet-56 pruned 40%", pruned, images);
});

Deno.test("export parity: pruned DenseNet-16, growth rate 12 (tfjs, ONNX; BN folded and not)", async () => {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const images = randomImages(N, 16);
  const c = await densenetCase(randomDensenetModel(16, 12, 0.5, 16), images);
  assert.ok(gatherCount(c) > 0, "the pruned model selects channels");
  await checkParity("DenseNet-16 pruned 50%", c, images);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});
