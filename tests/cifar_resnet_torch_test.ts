/**
 * The CIFAR ResNet (basic blocks) against its PyTorch twin (tests/tools/cifar_resnet_ref.py):
 * ResNet-56 eval and training-mode logits, running statistics after a training-mode
 * forward, strict loading of our full and pruned checkpoints, the prune at 0.4 and 0.6
 * (threshold, masks, cfg, masked logits, slim tensors and logits), one sparsity SGD step
 * (λ·sign(γ) on each block's bn1 only) at a quarter of the widths, and PyTorch's parameter
 * counts. Skipped when `/usr/bin/python3 -c "import torch"` fails.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeTree, encodeSafetensors, type NamedArray } from "@slimming/tensor-utils";
import {
  cifarResnetForward,
  cifarResnetMetadata,
  cifarResnetOps,
  type CifarResnetParams,
  type CifarResnetPruneResult,
  cifarResnetToStateDict,
  countCifarResnetParams,
  defaultCifarResnetSpec,
  maskCifarResnet,
  pruneCifarResnet,
  type RunningStats,
} from "@slimming/cifar-resnet";
import {
  calibrateRunningStats,
  randomCifarResnet,
  randomImages,
} from "@slimming/cifar-resnet/testing";
import { sparsityGradient } from "@slimming/slimming";
import {
  assertClose as assertRelClose,
  haveTorch,
  runTwin as runTorchTwin,
} from "./torch_helpers.ts";

const SGD = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 };

/** Agreement within `tol` (default 1e-5) of the tensor's scale (scales under 1e-3 count as 1e-3). */
function assertClose(
  ours: ArrayLike<number>,
  theirs: ArrayLike<number>,
  what: string,
  tol = 1e-5,
): void {
  assertRelClose(ours, theirs, what, { floor: 1e-3, tol });
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Logits agree within 1e-4 (max abs); logs the difference. */
function assertLogits(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string): void {
  assert.equal(ours.length, theirs.length, `${what}: lengths`);
  const diff = maxAbs(ours, theirs);
  const scale = Math.max(...Array.from(theirs, Math.abs));
  console.log(`${what}: max |logit| ${scale.toFixed(3)}, max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `${what}: max abs difference ${diff}`);
}

async function writeCheckpoint(path: string, params: CifarResnetParams): Promise<void> {
  const dict = await cifarResnetToStateDict(params);
  await Deno.writeFile(path, encodeSafetensors(dict, cifarResnetMetadata(params)));
}

function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, 10)), 1)));
}

/**
 * `steps` steps of main.py's training step through `cifarResnetOps`: cross-entropy gradients
 * in training mode, lambda * sign(gamma) added to the gradient of every trainable named
 * `.gamma` (each block's bn1), then PyTorch's SGD with momentum and weight decay.
 */
function sgdSteps(params: CifarResnetParams, x: tf.Tensor4D, labels: tf.Tensor1D, steps: number) {
  const ops = cifarResnetOps;
  let current = params;
  let buffers: tf.Tensor[] | null = null;
  const owned: CifarResnetParams[] = [];
  for (let s = 0; s < steps; s++) {
    const leaves = ops.trainableLeaves(current);
    let stats: RunningStats[] = [];
    const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
      const out = ops.forward(ops.withTrainable(current, values), x, { training: true });
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
    current = ops.withRunningStats(ops.withTrainable(current, next.map(([p]) => p)), stats);
    owned.push(current);
  }
  tf.dispose(buffers!);
  const dispose = () => {
    for (const p of owned) {
      for (const [, t] of ops.trainableLeaves(p)) t.dispose();
      for (const bn of ops.batchNorms(p)) tf.dispose([bn.runningMean, bn.runningVar]);
    }
  };
  return { params: current, dispose };
}

interface TorchResult {
  params: Record<string, number>;
  eval: number[];
  train: number[];
  running: Record<string, number[]>;
  stepped?: Record<string, number[]>;
  prune: Array<{
    ratio: number;
    threshold: number;
    cfg: number[];
    masks: boolean[][];
    masked: number[];
    slim_logits: number[];
    slim: Record<string, number[]>;
  }>;
  pruned: Array<{ cfg: number[]; logits: number[] }>;
}

function runTwin(job: Record<string, unknown>, dir: string): Promise<TorchResult> {
  return runTorchTwin<TorchResult>("cifar_resnet_ref.py", dir, job);
}

/** Every tensor of `theirs` agrees with ours (see `assertClose`); returns the largest abs difference. */
function compareDicts(
  ours: Record<string, NamedArray>,
  theirs: Record<string, number[]>,
  what: string,
  tol = 1e-5,
): number {
  const keys = Object.keys(theirs);
  assert.ok(keys.length > 0, `${what}: nothing to compare`);
  let worst = 0;
  for (const key of keys) {
    assert.ok(ours[key], `${what}: we have no ${key}`);
    const data = ours[key].data as Float32Array;
    assertClose(data, theirs[key], `${what} ${key}`, tol);
    worst = Math.max(worst, maxAbs(data, theirs[key]));
  }
  return worst;
}

/**
 * A ResNet-56 at `width` (random tensors, running statistics from other random images), its
 * checkpoint and NCHW input written to `dir`.
 */
async function setUp(dir: string, width: number, n: number) {
  const params = calibrateRunningStats(randomCifarResnet(defaultCifarResnetSpec(56, width), 4), 77);
  const x = randomImages(n, 5);
  await writeCheckpoint(`${dir}/full.safetensors`, params);
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
  await Deno.writeFile(`${dir}/x.f32`, new Uint8Array(nchw.buffer));
  return { params, x, job: { checkpoint: `${dir}/full.safetensors`, input: `${dir}/x.f32`, n } };
}

Deno.test({
  name: "ResNet-56 and PyTorch: logits, running statistics, strict loading, pruning at 0.4 and 0.6",
  ignore: !haveTorch,
  fn: async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "slimming-cifar-resnet-torch-" });
    const { params, x, job } = await setUp(dir, 1, 4);
    const evalLogits = tf.tidy(() =>
      cifarResnetForward(params, x, { training: false }).logits.dataSync()
    );
    const trainOut = cifarResnetForward(params, x, { training: true });
    const trainLogits = trainOut.logits.dataSync();
    const statsDict = await cifarResnetToStateDict(
      cifarResnetOps.withRunningStats(params, trainOut.runningStats!),
    );
    trainOut.logits.dispose();
    for (const r of trainOut.runningStats!) tf.dispose([r.runningMean, r.runningVar]);

    const ratios = [0.4, 0.6];
    const ours: Array<{
      result: CifarResnetPruneResult;
      maskedLogits: ArrayLike<number>;
      slimLogits: ArrayLike<number>;
      dict: Record<string, NamedArray>;
    }> = [];
    for (const [i, ratio] of ratios.entries()) {
      const result = await pruneCifarResnet(params, ratio);
      assert.deepEqual(result.report.guardedLayers, [], "the guard must not fire here");
      const masked = maskCifarResnet(params, result.masks);
      const logitsOf = (p: CifarResnetParams) =>
        tf.tidy(() => cifarResnetForward(p, x, { training: false }).logits.dataSync());
      const maskedLogits = logitsOf(masked);
      const slimLogits = logitsOf(result.params);
      assertLogits(slimLogits, maskedLogits, `slim vs masked at ${ratio}`);
      await writeCheckpoint(`${dir}/pruned${i}.safetensors`, result.params);
      const dict = await cifarResnetToStateDict(result.params);
      ours.push({ result, maskedLogits, slimLogits, dict });
      disposeTree(masked);
      disposeTree(result.params);
    }

    const torch = await runTwin({
      ...job,
      ratios,
      pruned: ratios.map((_, i) => `${dir}/pruned${i}.safetensors`),
    }, dir);
    assertLogits(evalLogits, torch.eval, "eval logits");
    assertLogits(trainLogits, torch.train, "training-mode logits");
    const stats = compareDicts(statsDict, torch.running, "running statistics");
    console.log(`running statistics: max abs diff ${stats.toExponential(2)}`);
    for (const [i, ratio] of ratios.entries()) {
      const { result } = ours[i];
      assert.equal(
        result.report.threshold,
        Math.fround(torch.prune[i].threshold),
        `thre at ${ratio}`,
      );
      assert.deepEqual(result.masks, torch.prune[i].masks, `masks at ${ratio}`);
      assert.deepEqual(result.cfg, torch.prune[i].cfg, `cfg at ${ratio}`);
      assertLogits(ours[i].maskedLogits, torch.prune[i].masked, `masked logits at ${ratio}`);
      assertLogits(ours[i].slimLogits, torch.prune[i].slim_logits, `slim logits at ${ratio}`);
      const slim = compareDicts(ours[i].dict, torch.prune[i].slim, `slim model at ${ratio}`);
      console.log(`slim tensors at ${ratio}: max abs diff ${slim.toExponential(2)}`);
      assert.deepEqual(torch.pruned[i].cfg, result.cfg);
      assertLogits(ours[i].slimLogits, torch.pruned[i].logits, `our pruned checkpoint at ${ratio}`);
    }
    disposeTree(params);
    x.dispose();
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "ResNet-56 (width 1/4) and PyTorch: one sparsity SGD step gives the same parameters",
  ignore: !haveTorch,
  fn: async () => {
    // tfjs-cpu's conv gradients are slow: a quarter of the widths keeps this quick.
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "slimming-cifar-resnet-sgd-" });
    const { params, x, job } = await setUp(dir, 0.25, 4);
    const labelValues = [3, 1, 4, 1];
    const labels = tf.tensor1d(labelValues, "int32");
    const stepped = sgdSteps(params, x, labels, 1);
    const steppedDict = await cifarResnetToStateDict(stepped.params);
    stepped.dispose();
    const sgd = {
      labels: labelValues,
      lr: SGD.lr,
      momentum: SGD.momentum,
      weight_decay: SGD.weightDecay,
      lam: SGD.lambda,
      steps: 1,
    };
    const torch = await runTwin({ ...job, sgd }, dir);
    const init = await cifarResnetToStateDict(params);
    // The update itself agrees closely, not just the new value (a wrong gradient or a
    // sparsity term on the wrong BNs would be off by its own size): within 1e-3 of each
    // tensor's largest update.
    let worst = 0;
    for (const [key, theirs] of Object.entries(torch.stepped!)) {
      const old = init[key].data as Float32Array;
      const ourStep = Array.from(steppedDict[key].data as Float32Array, (v, i) => v - old[i]);
      const theirStep = theirs.map((v, i) => v - old[i]);
      const scale = Math.max(...theirStep.map(Math.abs));
      const diff = maxAbs(ourStep, theirStep);
      worst = Math.max(worst, diff);
      assert.ok(diff <= 1e-3 * scale, `update of ${key}: off by ${diff} at scale ${scale}`);
    }
    // The new values then agree within 1e-4 of their scale: where a step moves a tensor by
    // as much as its size (the stem BN's bias here), float32 gradient sums through 56 layers
    // differ by about 1e-5 of the update.
    const values = compareDicts(steppedDict, torch.stepped!, "after one SGD step", 1e-4);
    console.log(
      `one SGD step: largest abs difference of an update ${worst.toExponential(2)}, ` +
        `of a new value ${values.toExponential(2)}`,
    );
    disposeTree(params);
    tf.dispose([x, labels]);
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "CIFAR ResNet-20/56/110: our parameter counts are PyTorch's",
  ignore: !haveTorch,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "slimming-cifar-resnet-count-" });
    const torch = await runTwin({ count_params: [20, 56, 110] }, dir);
    for (const depth of [20, 56, 110]) {
      assert.equal(countCifarResnetParams(defaultCifarResnetSpec(depth)), torch.params[depth]);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
