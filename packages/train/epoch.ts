/**
 * One epoch of training: the seeded, augmented batches through `trainStep` with progress,
 * and the commit of its result to the run folder.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { augmentRng, batchesOf, type CifarSplit, epochOrder, makeBatch } from "@slimming/cifar";
import {
  DivergenceError,
  exists,
  sha256Hex,
  writeFileAtomic,
  writeJsonAtomic,
} from "@slimming/tensor-utils";
import {
  type EpochRecord,
  learningRateAt,
  RUN_FILES,
  type RunConfig,
  scheduleOf,
} from "@slimming/run-format";
import { encodeModel, saveOptimizer } from "./checkpoint.ts";
import { formatDuration, type ProgressPrinter } from "./progress.ts";
import { disposeState, type Distillation, type TrainState, trainStep } from "./train_step.ts";
import type { SgdOptions } from "./sgd.ts";
import type { Rng } from "@slimming/tensor-utils/core";
import { architectureOf, type ModelParams } from "@slimming/architectures";

/** The training half of an epoch's record. */
export interface EpochTraining {
  /** The state after the epoch (the one given is disposed). */
  readonly state: TrainState;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly images: number;
  /** Seconds the batches took (evaluation excluded). */
  readonly seconds: number;
}

/** Eval-mode logits of `model` on `x` (a teacher's: no gradient, no statistics update). */
function logitsOf(model: ModelParams, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => architectureOf(model).ops.forward(model, x, { training: false }).logits);
}

/** Batches between two yields to the event loop (signals, timers) during an epoch. */
const YIELD_EVERY = 8;

/** Training images of an epoch of `config` on a training set of `count` images. */
export function epochImages(config: Pick<RunConfig, "imagesPerEpoch">, count: number): number {
  return Math.min(count, config.imagesPerEpoch ?? count);
}

/**
 * How a run's last epoch ends when a time limit cuts the run short: on at most `images`
 * images, its learning rate annealed from `fromLr` (where the schedule stood) to zero along a
 * half cosine, as the end of a one-cycle or cosine schedule does.
 */
export interface EpochFinish {
  readonly images: number;
  readonly fromLr: number;
}

/** The learning rate of batch `batch` of `batches` of an annealing last epoch. */
export function annealedRate(fromLr: number, batch: number, batches: number): number {
  return fromLr * 0.5 * (1 + Math.cos(Math.PI * batch / batches));
}

/** A teacher model and the distillation's α and T. */
export interface BatchTeacher extends Distillation {
  readonly model: ModelParams;
}

/**
 * One SGD step on the training images `indices` of `train`, augmented with `rng`, consuming
 * `state`; with `teacher`, on the distillation loss against its eval-mode logits of the same
 * batch. Resolves with the new state and the batch's loss and correct count, read back.
 */
export async function stepOnBatch(
  state: TrainState,
  train: CifarSplit,
  indices: Int32Array,
  rng: Rng,
  sgd: SgdOptions,
  labelSmoothing: number,
  teacher?: BatchTeacher,
): Promise<{ state: TrainState; loss: number; correct: number }> {
  const { x, y } = makeBatch(train, indices, { augment: true, rng });
  const xs = tf.tensor4d(x, [indices.length, 32, 32, 3]);
  const ys = tf.tensor1d(y, "int32");
  const teacherLogits = teacher ? logitsOf(teacher.model, xs) : undefined;
  const result = trainStep(
    state,
    xs,
    ys,
    sgd,
    labelSmoothing,
    teacher && teacherLogits && { ...teacher, teacherLogits },
  );
  teacherLogits?.dispose();
  tf.dispose([xs, ys]);
  disposeState(state);
  const loss = (await result.loss.data())[0];
  const correct = (await result.correct.data())[0];
  tf.dispose([result.loss, result.correct]);
  return { state: result.state, loss, correct };
}

/** Resolves after the event loop has run its pending tasks (a signal listener among them). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Trains one epoch (0-based `epoch`) at the learning rates of the run's schedule, consuming
 * `state`: `config.imagesPerEpoch` images (all when absent) in the epoch's seeded order; with
 * `finish`, the run's last epoch annealed as it says. A non-finite loss disposes the state and
 * throws a DivergenceError naming `lastGood`, the checkpoint to go back to.
 */
export async function trainEpoch(
  start: TrainState,
  train: CifarSplit,
  config: RunConfig,
  epoch: number,
  progress: ProgressPrinter,
  lastGood: string,
  finish?: EpochFinish,
  teacher?: ModelParams,
): Promise<EpochTraining> {
  let state = start;
  const order = epochOrder(train.count, config.seed, epoch);
  const images = Math.min(finish?.images ?? Infinity, epochImages(config, train.count));
  const batches = batchesOf(order.slice(0, images), config.batchSize);
  const schedule = scheduleOf(config);
  const epochStart = performance.now();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  const distill: BatchTeacher | undefined = teacher && {
    model: teacher,
    weight: config.kdWeight ?? 0.5,
    temperature: config.kdTemperature ?? 1,
  };
  for (const [b, indices] of batches.entries()) {
    const at = { epoch, batch: b, epochs: config.epochs, batchesPerEpoch: batches.length };
    const lr = finish
      ? annealedRate(finish.fromLr, b, batches.length)
      : learningRateAt(schedule, at);
    const step = await stepOnBatch(
      state,
      train,
      indices,
      augmentRng(config.seed, epoch, b),
      {
        lr,
        momentum: config.momentum,
        nesterov: config.nesterov ?? false,
        weightDecay: config.weightDecay,
        lambda: config.lambda,
      },
      config.labelSmoothing ?? 0,
      distill,
    );
    state = step.state;
    const loss = step.loss;
    correct += step.correct;
    const where = `batch ${b + 1}/${batches.length}`;
    if (!Number.isFinite(loss)) {
      disposeState(state);
      progress.done(`epoch ${epoch + 1}: the loss became ${loss} at ${where}`);
      throw new DivergenceError(
        `training diverged: loss ${loss} at epoch ${epoch + 1}, ${where} ` +
          `(lr ${lr}); the last good checkpoint is ${lastGood}`,
      );
    }
    lossSum += loss * indices.length;
    seen += indices.length;
    const rate = seen / ((performance.now() - epochStart) / 1000);
    progress.update({
      epoch: epoch + 1,
      epochs: config.epochs,
      batch: b + 1,
      batches: batches.length,
      loss: lossSum / seen,
      accuracy: (100 * correct) / seen,
      imagesPerSecond: rate,
      etaSeconds: (images - seen) / rate +
        (finish ? 0 : (config.epochs - epoch - 1) * (images / rate)),
    });
    // Reading a CPU tensor resolves as a microtask, so the batches alone never hand control
    // back to the event loop: a Ctrl-C would wait for the epoch's end. Yield now and then.
    if (b % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
  }
  const seconds = (performance.now() - epochStart) / 1000;
  return {
    state,
    trainLoss: lossSum / seen,
    trainAcc: (100 * correct) / seen,
    images: seen,
    seconds,
  };
}

/**
 * Commits epoch `history.length` (the last record of `history`): the optimizer state (the
 * previous one kept), history.json, then last.safetensors (the commit point), and
 * best.safetensors when its test accuracy beats `bestAcc`. Resolves with the new best.
 */
export async function commitEpoch(
  out: string,
  state: TrainState,
  history: readonly EpochRecord[],
  bestAcc: number,
): Promise<number> {
  const record = history[history.length - 1];
  const epoch = String(record.epoch);
  const modelBytes = await encodeModel(state.params, { epoch });
  if (await exists(`${out}/${RUN_FILES.optimizer}`)) {
    await Deno.rename(`${out}/${RUN_FILES.optimizer}`, `${out}/${RUN_FILES.optimizerPrev}`);
  }
  await saveOptimizer(`${out}/${RUN_FILES.optimizer}`, state.params, state.buffers, {
    epoch,
    model: await sha256Hex(modelBytes),
  });
  await writeJsonAtomic(`${out}/${RUN_FILES.history}`, history);
  await writeFileAtomic(`${out}/${RUN_FILES.last}`, modelBytes);
  if (record.testAcc > bestAcc) {
    await writeFileAtomic(`${out}/${RUN_FILES.best}`, modelBytes);
    return record.testAcc;
  }
  return bestAcc;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** The line printed after an epoch of `epochs`, with the ETA from the mean epoch time. */
export function epochLine(
  record: EpochRecord,
  epochs: number,
  history: readonly EpochRecord[],
): string {
  const epochsLeft = epochs - record.epoch;
  return `epoch ${record.epoch}/${epochs}  lr ${record.lr.toPrecision(2)}  train loss ${
    record.trainLoss.toFixed(4)
  } ` +
    `acc ${record.trainAcc.toFixed(2)}%  test loss ${record.testLoss.toFixed(4)} acc ${
      record.testAcc.toFixed(2)
    }%  ` + (record.annealed ? "(annealed: time limit)  " : "") +
    `${record.imagesPerSecond.toFixed(0)} img/s  ${formatDuration(record.seconds)}` +
    (epochsLeft > 0
      ? `  ETA ${formatDuration(epochsLeft * mean(history.map((r) => r.seconds)))}`
      : "");
}
