/**
 * One training step of a model of any architecture: forward in training mode, cross-entropy, gradients of every
 * trainable tensor, SGD with the sparsity term; and the evaluation of a batch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { architectureOf, type ModelParams } from "@slimming/architectures";
import { frugalValueAndGrads } from "./backprop.ts";
import { markStepEnd } from "./step_end.ts";
import { type MomentumBuffers, type SgdOptions, sgdStep } from "./sgd.ts";

/**
 * Mean softmax cross-entropy of `logits` [n, k] against integer `labels` [n]; with label
 * smoothing `smoothing` the target puts 1 - smoothing + smoothing/k on the label and
 * smoothing/k on every other class (PyTorch's `label_smoothing`).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const logProbs = tf.logSoftmax(logits);
    let target: tf.Tensor = tf.oneHot(labels, k);
    if (smoothing > 0) target = tf.add(tf.mul(target, 1 - smoothing), smoothing / k);
    const picked = tf.sum(tf.mul(logProbs, target), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Knowledge distillation's settings (Hinton et al. 2015). */
export interface Distillation {
  /** α: the share of the loss that is the distillation term. */
  readonly weight: number;
  /** T: the softmax temperature of both teacher and student. */
  readonly temperature: number;
}

/**
 * `α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, labels)`: the distillation loss of
 * student logits `s` [n, k] against teacher logits `t` (constants: no gradient flows to the
 * teacher), the KL divergence averaged over the batch (PyTorch's `kl_div(...,
 * reduction="batchmean")`), the cross-entropy with label smoothing `smoothing`.
 */
export function distillationLoss(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  labels: tf.Tensor1D,
  kd: Distillation,
  smoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const t = kd.temperature;
    const teacherLogProbs = tf.logSoftmax(tf.div(teacher, t));
    const studentLogProbs = tf.logSoftmax(tf.div(student, t));
    const perRow = tf.sum(
      tf.mul(tf.exp(teacherLogProbs), tf.sub(teacherLogProbs, studentLogProbs)),
      1,
    );
    const kl = tf.mean(perRow);
    const ce = crossEntropy(student, labels, smoothing);
    return tf.add(tf.mul(kl, kd.weight * t * t), tf.mul(ce, 1 - kd.weight)) as tf.Scalar;
  });
}

/** Number of rows whose arg-max equals the label. */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "int32")) as tf.Scalar
  );
}

/** Model and optimizer state between steps. */
export interface TrainState {
  readonly params: ModelParams;
  readonly buffers: MomentumBuffers;
}

/** What one step measured (scalars, still on the backend). */
export interface StepResult {
  readonly state: TrainState;
  readonly loss: tf.Scalar;
  readonly correct: tf.Scalar;
}

/** Which trainable tensors are BN gammas (they get the sparsity term). */
export function gammaFlags(params: ModelParams): boolean[] {
  return architectureOf(params).ops.trainableLeaves(params).map(([name]) =>
    name.endsWith(".gamma")
  );
}

/**
 * One SGD step on a batch (with `distill`, on the distillation loss against the teacher's
 * logits of the same batch). The returned state holds new tensors only; the caller disposes
 * the old state (see {@linkcode disposeState}).
 */
export function trainStep(
  state: TrainState,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: SgdOptions,
  labelSmoothing = 0,
  distill?: Distillation & { readonly teacherLogits: tf.Tensor2D },
): StepResult {
  const { ops } = architectureOf(state.params);
  const trainables = ops.trainableLeaves(state.params).map(([, t]) => t);
  let logits: tf.Tensor2D | undefined;
  let runningStats: Array<{ runningMean: tf.Tensor1D; runningVar: tf.Tensor1D }> = [];
  const { value: loss, grads } = frugalValueAndGrads((...values: tf.Tensor[]) => {
    const out = ops.forward(ops.withTrainable(state.params, values), x, { training: true });
    logits = tf.keep(out.logits);
    runningStats = out.runningStats ?? [];
    for (const s of runningStats) tf.keep(s.runningMean), tf.keep(s.runningVar);
    return distill
      ? distillationLoss(out.logits, distill.teacherLogits, labels, distill, labelSmoothing)
      : crossEntropy(out.logits, labels, labelSmoothing);
  }, trainables);
  const step = sgdStep(trainables, grads, state.buffers, gammaFlags(state.params), options);
  for (const g of grads) g.dispose();
  const correct = correctCount(logits!, labels);
  logits!.dispose();
  const params = ops.withRunningStats(ops.withTrainable(state.params, step.params), runningStats);
  markStepEnd();
  return { state: { params, buffers: step.buffers }, loss: loss as tf.Scalar, correct };
}

/** Disposes a state's tensors. */
export function disposeState(state: TrainState): void {
  const { ops } = architectureOf(state.params);
  for (const [, t] of ops.trainableLeaves(state.params)) t.dispose();
  for (const bn of ops.batchNorms(state.params)) {
    bn.runningMean.dispose();
    bn.runningVar.dispose();
  }
  for (const b of state.buffers ?? []) b.dispose();
}

/** Eval-mode loss sum and correct count on a batch (scalars on the backend). */
export function evalBatch(
  params: ModelParams,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
): { lossSum: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const { logits } = architectureOf(params).ops.forward(params, x, { training: false });
    return {
      lossSum: tf.mul(crossEntropy(logits, labels), labels.shape[0]) as tf.Scalar,
      correct: correctCount(logits, labels),
    };
  });
}
