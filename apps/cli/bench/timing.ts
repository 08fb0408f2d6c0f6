/**
 * The tfjs side of `bench`: timed training steps and inference, the data pipeline's share of
 * a step, a per-kernel profile of one step, and the machine's names.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { augmentRng, makeBatch, syntheticCifar } from "@slimming/cifar";
import { type Architecture, architectureOf, type ModelParams } from "@slimming/architectures";
import { countLaunches, type LaunchCounts } from "@slimming/kernels";
import { disposeState, type TrainState, trainStep } from "@slimming/train";
import type { BenchResult } from "./table.ts";

/** The median (mean of the middle two for an even count). */
export { median } from "@slimming/tensor-utils/core";

/** Steps that take about `seconds`, from one timed warm-up step. */
export function stepsFor(seconds: number, stepSeconds: number): number {
  return Math.max(2, Math.min(200, Math.round(seconds / Math.max(stepSeconds, 1e-4))));
}

/** Training images/s of `steps` steps of batch `batch` after one untimed step. */
export async function timeTraining(
  params: ModelParams,
  batch: number,
  steps: number,
): Promise<number> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const classes = architectureOf(params).numClasses(params);
  const y = tf.randomUniform([batch], 0, classes, "int32", 4) as tf.Tensor1D;
  const step = async () => {
    const r = trainStep(state, x, y, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 });
    if (state.params !== params) disposeState(state);
    else for (const b of state.buffers ?? []) b.dispose();
    state = r.state;
    await r.loss.data();
    tf.dispose([r.loss, r.correct]);
  };
  await step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const rate = (batch * steps) / ((performance.now() - start) / 1000);
  disposeState(state);
  tf.dispose([x, y]);
  return rate;
}

/** Seconds of one training step, from one timed step (for sizing the timed rounds). */
export async function trainStepSeconds(params: ModelParams, batch: number): Promise<number> {
  const start = performance.now();
  const rate = await timeTraining(params, batch, 1);
  return Math.max(batch / rate, (performance.now() - start) / 2000);
}

/** Milliseconds to build a batch against `stepMs`, and its share of a step. */
export function dataShare(stepMs: number, batch: number): BenchResult["dataShare"] {
  const data = syntheticCifar({ trainPerClass: 50, testPerClass: 1, seed: 1 });
  const indices = Int32Array.from({ length: batch }, (_, i) => i % data.train.count);
  const runs = 50;
  const start = performance.now();
  for (let b = 0; b < runs; b++) {
    const { x, y } = makeBatch(data.train, indices, { augment: true, rng: augmentRng(1, 0, b) });
    tf.dispose([tf.tensor4d(x, [batch, 32, 32, 3]), tf.tensor1d(y, "int32")]);
  }
  const batchMs = (performance.now() - start) / runs;
  return { batchMs, stepMs, percent: (100 * batchMs) / (batchMs + stepMs) };
}

/**
 * Random gammas with a few large ones per BN layer, like a sparsity-trained model (layer
 * `i`'s drawn with seed `seed + i`); every other tensor is the given model's.
 */
export function sparseLooking(
  arch: Architecture<ModelParams>,
  params: ModelParams,
  seed: number,
): ModelParams {
  let layer = 0;
  const values = arch.ops.trainableLeaves(params).map(([name, t]) => {
    if (!name.endsWith(".gamma")) return t;
    const i = layer++;
    return tf.tidy(() => {
      const u = tf.randomUniform(t.shape, 0, 1, "float32", seed + i);
      return tf.where(tf.less(u, 0.15), tf.add(u, 0.5), tf.mul(u, 1e-3));
    });
  });
  return arch.ops.withTrainable(params, values);
}

/** The WebGPU adapter's description, or "" without one. */
/** What one training step (after a warm-up step) asks of the GPU, loss read included. */
export async function launchesPerStep(params: ModelParams, batch: number): Promise<LaunchCounts> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const classes = architectureOf(params).numClasses(params);
  const y = tf.randomUniform([batch], 0, classes, "int32", 4) as tf.Tensor1D;
  const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 };
  const warm = trainStep(state, x, y, hyper);
  await warm.loss.data();
  tf.dispose([warm.loss, warm.correct]);
  for (const b of warm.state.buffers ?? []) b.dispose();
  state = { params, buffers: null };
  const counts = await countLaunches(async () => {
    const r = trainStep(state, x, y, hyper);
    await r.loss.data();
    tf.dispose([r.loss, r.correct]);
    state = r.state;
  });
  disposeState(state);
  disposeState({ ...warm.state, buffers: null });
  tf.dispose([x, y]);
  return counts;
}

/** The CPU's model name (/proc/cpuinfo), else the architecture. */
export async function cpuName(): Promise<string> {
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? Deno.build.arch;
  } catch {
    return Deno.build.arch;
  }
}

/** Per-kernel milliseconds and calls of one training step, slowest first. */
export async function profileStep(
  params: ModelParams,
  batch: number,
): Promise<BenchResult["profile"]> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3]) as tf.Tensor4D;
  const y = tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D;
  const step = () => {
    const r = trainStep(state, x, y, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 });
    if (state.params !== params) disposeState(state);
    state = r.state;
    tf.dispose([r.loss, r.correct]);
  };
  step();
  step();
  const info = await tf.profile(step);
  disposeState(state);
  tf.dispose([x, y]);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  return [...byKernel].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}
