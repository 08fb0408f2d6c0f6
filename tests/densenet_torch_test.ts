/**
 * Agreement with a PyTorch twin of the reference's DenseNet (tests/tools/densenet_ref.py,
 * written from models/densenet.py, main.py and denseprune.py): eval- and training-mode
 * logits, updated running statistics, two sparsity SGD steps (parameters and momentum
 * buffers), strict loading of our full and pruned checkpoints, and pruning at 0.4 and 0.6
 * (kept channels, masked and slim logits). Everything within 1e-5 relative to the largest
 * magnitude of each compared tensor. Skipped when `/usr/bin/python3 -c "import torch"` fails.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  countDensenetParams,
  densenetMetadata,
  densenetOps,
  type DensenetParams,
  type DensenetSpec,
  maskDensenet,
  pruneDensenet,
  toStateDict,
} from "@slimming/densenet";
import { randomDensenet, randomImages } from "@slimming/densenet/testing";
import { disposeTree, encodeSafetensors } from "@slimming/tensor-utils";
import { type MomentumBuffers, sgdStep } from "@slimming/train";
import { assertClose, haveTorch, runTwin as runTorchTwin } from "./torch_helpers.ts";

const SPEC: DensenetSpec = {
  depth: 10,
  growthRate: 6,
  cfg: [12, 18, 24, 24, 30, 36, 36, 42, 48],
};
const N = 4;
const SGD = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-2 };
const RATIOS = [0.4, 0.6];

interface TorchOut {
  cfg: number[];
  eval: number[];
  train: number[];
  running: Record<string, number[]>;
  sgd?: Array<{ params: Record<string, number[]>; buffers: Record<string, number[]> }>;
  prune: Array<
    { percent: number; cfg: number[]; masked: number[]; slim: number[]; params: number }
  >;
  more: Array<{ cfg: number[]; eval: number[] }>;
}

async function writeCheckpoint(dir: string, name: string, params: DensenetParams) {
  const path = `${dir}/${name}.safetensors`;
  const dict = await toStateDict(params);
  await Deno.writeFile(path, encodeSafetensors(dict, densenetMetadata(params)));
  return path;
}

function runTwin(dir: string, job: Record<string, unknown>): Promise<TorchOut> {
  return runTorchTwin<TorchOut>("densenet_ref.py", dir, job);
}

function evalLogits(params: DensenetParams, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() =>
    densenetOps.forward(params, x, { training: false }).logits.dataSync() as Float32Array
  );
}

function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() =>
    tf.neg(
      tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1)),
    ) as tf.Scalar
  );
}

/** One training step of main.py: forward (training), CE, grads, SGD with the L1 term. */
function sgdStepOf(
  params: DensenetParams,
  buffers: MomentumBuffers,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
) {
  const leaves = densenetOps.trainableLeaves(params);
  let stats: Array<{ runningMean: tf.Tensor1D; runningVar: tf.Tensor1D }> = [];
  const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
    const out = densenetOps.forward(densenetOps.withTrainable(params, values), x, {
      training: true,
    });
    stats = out.runningStats ?? [];
    for (const s of stats) tf.keep(s.runningMean), tf.keep(s.runningVar);
    return crossEntropy(out.logits, labels);
  })(leaves.map(([, t]) => t));
  value.dispose();
  const isGamma = leaves.map(([name]) => name.endsWith(".gamma"));
  const step = sgdStep(leaves.map(([, t]) => t), grads, buffers, isGamma, SGD);
  tf.dispose(grads);
  const next = densenetOps.withRunningStats(densenetOps.withTrainable(params, step.params), stats);
  return { params: next, buffers: step.buffers };
}

Deno.test({
  name:
    "DenseNet agrees with the PyTorch reference: forward, statistics, SGD, checkpoints, pruning",
  ignore: !haveTorch,
  fn: async () => {
    await tf.setBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "slimming-densenet-torch-" });
    const params = randomDensenet(SPEC, 21);
    const x = randomImages(N, 4);
    const labelValues = [3, 7, 0, 9];
    const labels = tf.tensor1d(labelValues, "int32");
    const input = `${dir}/x.f32`;
    const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
    await Deno.writeFile(input, new Uint8Array(nchw.buffer));
    const checkpoint = await writeCheckpoint(dir, "full", params);
    // Ours pruned first (reference semantics: no guard), so one python run checks everything.
    const pruned = RATIOS.map((ratio) => pruneDensenet(params, ratio, { minChannels: 0 }));
    const prunedFiles: string[] = [];
    for (const [i, result] of pruned.entries()) {
      prunedFiles.push(await writeCheckpoint(dir, `pruned-${RATIOS[i]}`, result.params));
    }
    const torch = await runTwin(dir, {
      checkpoint,
      input,
      n: N,
      labels: labelValues,
      sgd: {
        lr: SGD.lr,
        momentum: SGD.momentum,
        weight_decay: SGD.weightDecay,
        s: SGD.lambda,
        steps: 2,
      },
      prune: RATIOS,
      more: prunedFiles,
    });
    assert.deepEqual(torch.cfg, SPEC.cfg);

    // Forward, eval and training mode, and the running statistics a training pass leaves.
    assertClose(evalLogits(params, x), torch.eval, "eval logits");
    const train = densenetOps.forward(params, x, { training: true });
    assertClose(train.logits.dataSync(), torch.train, "train logits");
    const updated = densenetOps.withRunningStats(params, train.runningStats!);
    const dict = await toStateDict(updated);
    for (const [key, values] of Object.entries(torch.running)) {
      assertClose(dict[key].data as Float32Array, values, key);
    }
    train.logits.dispose();
    for (const s of train.runningStats!) tf.dispose([s.runningMean, s.runningVar]);

    // Two sparsity SGD steps: parameters and momentum buffers.
    let state = { params, buffers: null as MomentumBuffers };
    const owned: DensenetParams[] = [];
    for (const [k, expected] of torch.sgd!.entries()) {
      const previous = state.buffers;
      state = sgdStepOf(state.params, state.buffers, x, labels);
      tf.dispose(previous ?? []);
      owned.push(state.params);
      const ours = await toStateDict(state.params);
      const bufs = await toStateDict(densenetOps.withTrainable(state.params, state.buffers!));
      for (const [key, values] of Object.entries(expected.params)) {
        assertClose(ours[key].data as Float32Array, values, `step ${k + 1} ${key}`);
      }
      for (const [key, values] of Object.entries(expected.buffers)) {
        assertClose(bufs[key].data as Float32Array, values, `step ${k + 1} buffer ${key}`);
      }
      assert.equal(
        Object.keys(expected.buffers).length,
        densenetOps.trainableLeaves(params).length,
      );
    }

    // Pruning at 0.4 and 0.6: the reference's cfg, masked and slim logits; the slim
    // checkpoint loads strictly given its cfg and gives our logits.
    for (const [i, expected] of torch.prune.entries()) {
      const result = pruned[i];
      assert.deepEqual(result.cfg, expected.cfg, `cfg at ${expected.percent}`);
      const guarded = pruneDensenet(params, expected.percent);
      assert.deepEqual(guarded.cfg, expected.cfg);
      const masked = maskDensenet(params, result.masks);
      assertClose(evalLogits(masked, x), expected.masked, `masked logits at ${expected.percent}`);
      const slimLogits = evalLogits(result.params, x);
      assertClose(slimLogits, expected.slim, `slim logits at ${expected.percent}`);
      const spec = { ...SPEC, cfg: result.cfg };
      assert.equal(countDensenetParams(spec, 10, { withSelect: true }), expected.params);
      const loaded = torch.more[i];
      assert.deepEqual(loaded.cfg, result.cfg);
      assertClose(slimLogits, loaded.eval, `our pruned checkpoint at ${expected.percent}`);
      disposeTree([result.params, guarded.params, masked]);
    }
    disposeTree([params, ...owned, state.buffers, x, labels]);
    await Deno.remove(dir, { recursive: true });
  },
});
