/**
 * The pre-activation ResNet against a PyTorch twin of the reference (tests/tools/
 * preresnet_ref.py, written from models/preresnet.py, main.py's updateBN and resprune.py):
 * eval and training-mode logits, updated running statistics, one sparsity SGD step, strict
 * loading of full and pruned checkpoints, and pruning at 0.4 and 0.6 (cfg, masked logits,
 * slim tensors). Depth 20 at the reference's widths (the SGD step at a quarter of them). Skipped when
 * `/usr/bin/python3 -c "import torch"` fails.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeTree, encodeSafetensors, type NamedArray } from "@slimming/tensor-utils";
import {
  defaultResnetCfg,
  forward,
  maskResnetParams,
  pruneResnet,
  RESNET_PLANES,
  resnetCheckpointMetadata,
  resnetOps,
  type ResnetParams,
  type ResnetPlanes,
  type RunningStats,
  toStateDict,
} from "@slimming/resnet";
import { randomImages, randomResnetParams } from "@slimming/resnet/testing";
import { sparsityGradient } from "@slimming/slimming";
import {
  assertClose as assertRelClose,
  haveTorch,
  runTwin as runTorchTwin,
} from "./torch_helpers.ts";

const SGD = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 };

/** Agreement within 1e-5 of the tensor's scale (scales under 1e-3 count as 1e-3). */
function assertClose(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string): void {
  assertRelClose(ours, theirs, what, { floor: 1e-3 });
}

async function writeCheckpoint(path: string, params: ResnetParams): Promise<void> {
  const dict = await toStateDict(params);
  await Deno.writeFile(path, encodeSafetensors(dict, resnetCheckpointMetadata(params)));
}

function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, 10)), 1)));
}

/**
 * `steps` steps of main.py's training step: cross-entropy gradients through
 * `resnetOps.forward` in training mode, lambda * sign(gamma) added to every gamma's gradient
 * (updateBN), then PyTorch's SGD with momentum and weight decay.
 */
function sgdSteps(params: ResnetParams, x: tf.Tensor4D, labels: tf.Tensor1D, steps: number) {
  let current = params;
  let buffers: tf.Tensor[] | null = null;
  const owned: ResnetParams[] = [];
  for (let s = 0; s < steps; s++) {
    const leaves = resnetOps.trainableLeaves(current);
    let stats: RunningStats[] = [];
    const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
      const out = resnetOps.forward(resnetOps.withTrainable(current, values), x, {
        training: true,
      });
      stats = out.runningStats!.map((r) => ({
        runningMean: tf.keep(r.runningMean),
        runningVar: tf.keep(r.runningVar),
      }));
      return crossEntropy(out.logits, labels);
    })(leaves.map(([, t]) => t));
    const prev: tf.Tensor[] | null = buffers;
    const next: tf.Tensor[][] = tf.tidy((): tf.Tensor[][] =>
      leaves.map(([name, p], i): tf.Tensor[] => {
        let d = grads[i];
        if (name.endsWith(".gamma")) d = tf.add(d, sparsityGradient(p, SGD.lambda));
        d = tf.add(d, tf.mul(p, SGD.weightDecay));
        const b: tf.Tensor = prev ? tf.add(tf.mul(prev[i], SGD.momentum), d) : d;
        return [tf.sub(p, tf.mul(b, SGD.lr)), b];
      })
    );
    tf.dispose([value, ...grads]);
    if (prev) tf.dispose(prev);
    buffers = next.map(([, b]) => b);
    current = resnetOps.withRunningStats(
      resnetOps.withTrainable(current, next.map(([p]) => p)),
      stats,
    );
    owned.push(current);
  }
  tf.dispose(buffers!);
  return { params: current, dispose: () => owned.forEach(disposeStepped) };
}

/** Disposes the tensors a step made (trainables and running statistics), not the shared ones. */
function disposeStepped(p: ResnetParams): void {
  for (const [, t] of resnetOps.trainableLeaves(p)) t.dispose();
  for (const bn of resnetOps.batchNorms(p)) tf.dispose([bn.runningMean, bn.runningVar]);
}

interface TorchResult {
  eval: number[];
  train: number[];
  running: Record<string, number[]>;
  stepped?: Record<string, number[]>;
  prune: Array<{ ratio: number; cfg: number[]; masked: number[]; slim: Record<string, number[]> }>;
  pruned: Array<{ cfg: number[]; logits: number[] }>;
}

function runTwin(spec: Record<string, unknown>, dir: string): Promise<TorchResult> {
  return runTorchTwin<TorchResult>("preresnet_ref.py", dir, spec);
}

function compareDicts(
  ours: Record<string, NamedArray>,
  theirs: Record<string, number[]>,
  what: string,
  filter: (key: string) => boolean = () => true,
): void {
  const keys = Object.keys(theirs).filter(filter);
  assert.ok(keys.length > 0, `${what}: nothing to compare`);
  for (const key of keys) {
    assert.ok(ours[key], `${what}: we have no ${key}`);
    assertClose(ours[key].data as Float32Array, theirs[key], `${what} ${key}`);
  }
}

/** A model of depth 20 at `planes`, its checkpoint and NCHW input written to `dir`. */
async function setUp(dir: string, planes: ResnetPlanes, n: number) {
  const cfg = defaultResnetCfg(20, planes[0] / 16);
  const params = randomResnetParams({ depth: 20, planes, cfg }, 4);
  const x = randomImages(n, 5);
  await writeCheckpoint(`${dir}/full.safetensors`, params);
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
  await Deno.writeFile(`${dir}/x.f32`, new Uint8Array(nchw.buffer));
  const spec = { checkpoint: `${dir}/full.safetensors`, input: `${dir}/x.f32`, n };
  return { params, x, spec };
}

Deno.test({
  name: "ResNet-20 and PyTorch: logits, running statistics, strict loading, pruning at 0.4 and 0.6",
  ignore: !haveTorch,
  fn: async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "slimming-resnet-torch-" });
    const { params, x, spec } = await setUp(dir, RESNET_PLANES, 4);
    const evalLogits = tf.tidy(() => forward(params, x, { training: false }).logits.dataSync());
    const trainOut = forward(params, x, { training: true });
    const trainLogits = trainOut.logits.dataSync();
    const statsDict = await toStateDict(resnetOps.withRunningStats(params, trainOut.runningStats!));
    trainOut.logits.dispose();
    for (const r of trainOut.runningStats!) tf.dispose([r.runningMean, r.runningVar]);

    const ratios = [0.4, 0.6];
    const ours = [];
    for (const [i, ratio] of ratios.entries()) {
      const result = await pruneResnet(params, ratio);
      assert.deepEqual(result.report.guardedLayers, [], "the guard must not fire here");
      const masked = maskResnetParams(params, result.masks);
      const maskedLogits = tf.tidy(() => forward(masked, x, { training: false }).logits.dataSync());
      const slimLogits = tf.tidy(() =>
        forward(result.params, x, { training: false }).logits.dataSync()
      );
      assertClose(slimLogits, maskedLogits, `slim vs masked at ${ratio}`);
      await writeCheckpoint(`${dir}/pruned${i}.safetensors`, result.params);
      const dict = await toStateDict(result.params);
      ours.push({ cfg: result.cfg, maskedLogits, slimLogits, dict });
      disposeTree(masked);
      disposeTree(result.params);
    }

    const torch = await runTwin({
      ...spec,
      ratios,
      pruned: ratios.map((_, i) => `${dir}/pruned${i}.safetensors`),
    }, dir);
    assertClose(evalLogits, torch.eval, "eval logits");
    assertClose(trainLogits, torch.train, "training-mode logits");
    compareDicts(statsDict, torch.running, "running statistics");
    for (const [i, ratio] of ratios.entries()) {
      assert.deepEqual(ours[i].cfg, torch.prune[i].cfg, `cfg at ${ratio}`);
      assertClose(ours[i].maskedLogits, torch.prune[i].masked, `masked logits at ${ratio}`);
      compareDicts(ours[i].dict, torch.prune[i].slim, `slim model at ${ratio}`);
      assert.deepEqual(torch.pruned[i].cfg, ours[i].cfg);
      assertClose(ours[i].slimLogits, torch.pruned[i].logits, `pruned checkpoint at ${ratio}`);
    }
    disposeTree(params);
    x.dispose();
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "ResNet-20 (width 1/4) and PyTorch: one sparsity SGD step gives the same parameters",
  ignore: !haveTorch,
  fn: async () => {
    // tfjs-cpu's conv gradients are slow: a quarter of the reference's widths keeps this quick.
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "slimming-resnet-sgd-" });
    const { params, x, spec } = await setUp(dir, [4, 8, 16], 4);
    const labelValues = [3, 1, 4, 1];
    const labels = tf.tensor1d(labelValues, "int32");
    const stepped = sgdSteps(params, x, labels, 1);
    const steppedDict = await toStateDict(stepped.params);
    stepped.dispose();
    const sgd = {
      labels: labelValues,
      lr: SGD.lr,
      momentum: SGD.momentum,
      weight_decay: SGD.weightDecay,
      lam: SGD.lambda,
      steps: 1,
    };
    const torch = await runTwin({ ...spec, sgd }, dir);
    const init = await toStateDict(params);
    // The update itself, not just the new value, agrees closely (a wrong gradient would be off
    // by its own size): within 1e-3 of each tensor's largest update.
    for (const [key, theirs] of Object.entries(torch.stepped!)) {
      if (key.endsWith(".indexes")) continue;
      const old = init[key].data as Float32Array;
      const ourStep = Array.from(steppedDict[key].data as Float32Array, (v, i) => v - old[i]);
      const theirStep = theirs.map((v, i) => v - old[i]);
      const scale = Math.max(...theirStep.map(Math.abs));
      const diff = Math.max(...theirStep.map((v, i) => Math.abs(v - ourStep[i])));
      assert.ok(diff <= 1e-3 * scale, `update of ${key}: off by ${diff} at scale ${scale}`);
    }
    compareDicts(steppedDict, torch.stepped!, "after one SGD step", (k) => !k.endsWith(".indexes"));
    disposeTree(params);
    tf.dispose([x, labels]);
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  },
});
