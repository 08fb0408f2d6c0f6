/**
 * The training loop shared by `train` and `finetune`: seeded epochs of augmented batches,
 * SGD with the sparsity term, the step learning-rate schedule, per-epoch evaluation,
 * history and atomic checkpoints, and exact resume.
 *
 * Files in `out/` after each epoch, in the order they are written:
 * `last.optimizer.safetensors` (the previous one kept as `last.optimizer.prev.safetensors`),
 * `history.json`, `last.safetensors` (the commit point: its metadata `epoch` says how far
 * the run is), then `best.safetensors` when the test accuracy improved. A run killed at any
 * point resumes from the last committed epoch with the matching optimizer state.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { augmentRng, batchesOf, epochOrder, makeBatch } from "@slimming/cifar";
import {
  CheckpointError,
  DivergenceError,
  readJsonIfExists,
  readSafetensors,
  removeStaleTempFiles,
  sha256Hex,
  UsageError,
  writeFileAtomic,
  writeJsonAtomic,
} from "@slimming/tensor-utils";
import type { VggParams } from "@slimming/vgg";
import { encodeModel, loadModel, loadOptimizer, saveModel, saveOptimizer } from "./checkpoint.ts";
import type { LoadedData } from "./dataset.ts";
import { evaluate } from "./evaluate.ts";
import { createProgressPrinter, formatDuration, type ProgressPrinter } from "./progress.ts";
import type { EpochRecord, RunConfig } from "./run_format.ts";
import { disposeState, type TrainState, trainStep } from "./train_step.ts";

/** The files of a run folder. */
export const RUN_FILES = {
  config: "config.json",
  history: "history.json",
  last: "last.safetensors",
  best: "best.safetensors",
  optimizer: "last.optimizer.safetensors",
  optimizerPrev: "last.optimizer.prev.safetensors",
} as const;

/** Epochs (0-based) from which the learning rate is divided by 10: at 50% and 75% of the run. */
export function lrSteps(epochs: number): number[] {
  return [Math.ceil(epochs * 0.5), Math.ceil(epochs * 0.75)];
}

/** The learning rate of epoch `epoch` (0-based). */
export function learningRate(base: number, epoch: number, steps: readonly number[]): number {
  return base / 10 ** steps.filter((step) => epoch >= step).length;
}

/** Options of {@linkcode runTraining}. */
export interface TrainingOptions {
  readonly out: string;
  readonly config: RunConfig;
  readonly data: LoadedData;
  /** Continue from `out/last.safetensors` when present. */
  readonly resume: boolean;
  /** The starting model of a fresh run (called only when not resuming). */
  readonly initial: () => VggParams | Promise<VggParams>;
  readonly evalBatchSize?: number;
  readonly progress?: ProgressPrinter;
  /** Called after each committed epoch (tests use it to watch memory). */
  readonly onEpoch?: (record: EpochRecord, params: VggParams) => void | Promise<void>;
  /** Stop (cleanly, after committing an epoch) once this many seconds have passed. */
  readonly maxSeconds?: number;
}

/** What a training run ended with. */
export interface TrainingResult {
  readonly history: EpochRecord[];
  /** The final model (the caller disposes it). */
  readonly params: VggParams;
  /** True when every epoch ran; false when the time budget stopped it. */
  readonly complete: boolean;
  readonly resumedFromEpoch: number;
}

const comparedOptions = [
  "command",
  "cfg",
  "epochs",
  "batchSize",
  "lr",
  "momentum",
  "weightDecay",
  "lambda",
  "seed",
  "subset",
  "testSubset",
  "checkpoint",
] as const;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function checkSameConfig(saved: RunConfig, wanted: RunConfig, out: string): void {
  if (JSON.stringify(saved.cfg) !== JSON.stringify(wanted.cfg)) {
    throw new CheckpointError(
      `${out} holds a run of cfg ${JSON.stringify(saved.cfg)}, not ${
        JSON.stringify(wanted.cfg)
      }: cannot resume it`,
    );
  }
  for (const key of comparedOptions) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(wanted[key])) {
      throw new UsageError(
        `${out} was started with ${key} ${JSON.stringify(saved[key])}, not ${
          JSON.stringify(wanted[key])
        }: resume with the same options or use another --out`,
      );
    }
  }
}

interface ResumePoint {
  readonly state: TrainState;
  readonly history: EpochRecord[];
  readonly epoch: number;
}

async function loadResumePoint(out: string, config: RunConfig): Promise<ResumePoint> {
  const lastPath = `${out}/${RUN_FILES.last}`;
  const lastBytes = await Deno.readFile(lastPath);
  const { params, metadata } = await loadModel(lastPath, { expectedCfg: config.cfg });
  try {
    const epoch = Number(metadata.epoch);
    if (!Number.isSafeInteger(epoch) || epoch < 1) {
      throw new CheckpointError(`${lastPath}: no epoch in its metadata, cannot resume from it`);
    }
    const history = (await readJsonIfExists<EpochRecord[]>(`${out}/${RUN_FILES.history}`)) ?? [];
    if (!Array.isArray(history) || history.length < epoch) {
      throw new CheckpointError(`${out}/${RUN_FILES.history} has fewer than ${epoch} epochs`);
    }
    const modelHash = await sha256Hex(lastBytes);
    for (const name of [RUN_FILES.optimizer, RUN_FILES.optimizerPrev]) {
      const path = `${out}/${name}`;
      if (!(await exists(path))) continue;
      const optimizer = await loadOptimizer(path, params);
      if (optimizer.metadata.epoch === String(epoch) && optimizer.metadata.model === modelHash) {
        return {
          state: { params, buffers: optimizer.buffers },
          history: history.slice(0, epoch),
          epoch,
        };
      }
      for (const b of optimizer.buffers ?? []) b.dispose();
    }
    throw new CheckpointError(
      `${out}: no optimizer state matches ${RUN_FILES.last} (epoch ${epoch})`,
    );
  } catch (error) {
    disposeState({ params, buffers: null });
    throw error;
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** Trains (or fine-tunes) as `options.config` says, writing the run folder; see the module doc. */
export async function runTraining(options: TrainingOptions): Promise<TrainingResult> {
  const { out, config, data } = options;
  const progress = options.progress ?? createProgressPrinter();
  const evalBatchSize = options.evalBatchSize ?? 500;
  const started = performance.now();
  await Deno.mkdir(out, { recursive: true });
  await removeStaleTempFiles(out);
  const lastPath = `${out}/${RUN_FILES.last}`;
  let point: ResumePoint;
  if (await exists(lastPath)) {
    if (!options.resume) {
      throw new UsageError(
        `${out} already holds a run: pass --resume to continue it, or choose another --out`,
      );
    }
    const saved = await readJsonIfExists<RunConfig>(`${out}/${RUN_FILES.config}`);
    if (saved) checkSameConfig(saved, config, out);
    point = await loadResumePoint(out, config);
    progress.note(`resuming ${out} after epoch ${point.epoch}/${config.epochs}`);
  } else {
    point = { state: { params: await options.initial(), buffers: null }, history: [], epoch: 0 };
    await writeJsonAtomic(`${out}/${RUN_FILES.config}`, config);
  }
  let { state } = point;
  const history = [...point.history];
  let bestAcc = history.reduce((best, r) => Math.max(best, r.testAcc), -Infinity);
  if (history.length > 0 && history[history.length - 1].testAcc === bestAcc) {
    // Killed after committing the best epoch but before copying it to best.safetensors.
    const bestPath = `${out}/${RUN_FILES.best}`;
    const bestEpoch = (await exists(bestPath))
      ? (await readSafetensors(bestPath)).metadata.epoch
      : undefined;
    if (bestEpoch !== String(history.length)) {
      await saveModel(bestPath, state.params, { epoch: String(history.length) });
    }
  }
  const steps = lrSteps(config.epochs);
  const { train, test } = data;
  let complete = true;
  for (let epoch = point.epoch; epoch < config.epochs; epoch++) {
    if (
      options.maxSeconds !== undefined && (performance.now() - started) / 1000 > options.maxSeconds
    ) {
      complete = false;
      break;
    }
    const lr = learningRate(config.lr, epoch, steps);
    const batches = batchesOf(epochOrder(train.count, config.seed, epoch), config.batchSize);
    const epochStart = performance.now();
    const losses: number[] = [];
    let correct = 0;
    let seen = 0;
    for (const [b, indices] of batches.entries()) {
      const { x, y } = makeBatch(train, indices, {
        augment: true,
        rng: augmentRng(config.seed, epoch, b),
      });
      const xs = tf.tensor4d(x, [indices.length, 32, 32, 3]);
      const ys = tf.tensor1d(y, "int32");
      const result = trainStep(state, xs, ys, {
        lr,
        momentum: config.momentum,
        weightDecay: config.weightDecay,
        lambda: config.lambda,
      });
      tf.dispose([xs, ys]);
      disposeState(state);
      state = result.state;
      const loss = (await result.loss.data())[0];
      correct += (await result.correct.data())[0];
      tf.dispose([result.loss, result.correct]);
      if (!Number.isFinite(loss)) {
        disposeState(state);
        progress.done(
          `epoch ${epoch + 1}: the loss became ${loss} at batch ${b + 1}/${batches.length}`,
        );
        throw new DivergenceError(
          `training diverged: loss ${loss} at epoch ${epoch + 1}, batch ${
            b + 1
          }/${batches.length} ` +
            `(lr ${lr}); the last good checkpoint is ${
              history.length > 0 ? lastPath : "none (first epoch)"
            }`,
        );
      }
      losses.push(loss * indices.length);
      seen += indices.length;
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = seen / elapsed;
      const remainingEpochs = config.epochs - epoch - 1;
      progress.update({
        epoch: epoch + 1,
        epochs: config.epochs,
        batch: b + 1,
        batches: batches.length,
        loss: losses.reduce((a, v) => a + v, 0) / seen,
        accuracy: (100 * correct) / seen,
        imagesPerSecond: rate,
        etaSeconds: (train.count - seen) / rate + remainingEpochs * (train.count / rate),
      });
    }
    const trainSeconds = (performance.now() - epochStart) / 1000;
    const evaluation = await evaluate(state.params, test, evalBatchSize);
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: losses.reduce((a, v) => a + v, 0) / seen,
      trainAcc: (100 * correct) / seen,
      testLoss: evaluation.loss,
      testAcc: evaluation.accuracy,
      lr,
      seconds: (performance.now() - epochStart) / 1000,
      imagesPerSecond: seen / trainSeconds,
    };
    history.push(record);
    // Commit the epoch: optimizer (previous kept), history, then the model.
    const modelBytes = await encodeModel(state.params, { epoch: String(epoch + 1) });
    if (await exists(`${out}/${RUN_FILES.optimizer}`)) {
      await Deno.rename(`${out}/${RUN_FILES.optimizer}`, `${out}/${RUN_FILES.optimizerPrev}`);
    }
    await saveOptimizer(`${out}/${RUN_FILES.optimizer}`, state.params, state.buffers, {
      epoch: String(epoch + 1),
      model: await sha256Hex(modelBytes),
    });
    await writeJsonAtomic(`${out}/${RUN_FILES.history}`, history);
    await writeFileAtomic(lastPath, modelBytes);
    if (record.testAcc > bestAcc) {
      bestAcc = record.testAcc;
      await writeFileAtomic(`${out}/${RUN_FILES.best}`, modelBytes);
    }
    const epochsLeft = config.epochs - epoch - 1;
    progress.done(
      `epoch ${epoch + 1}/${config.epochs}  lr ${lr.toPrecision(2)}  train loss ${
        record.trainLoss.toFixed(4)
      } ` +
        `acc ${record.trainAcc.toFixed(2)}%  test loss ${record.testLoss.toFixed(4)} acc ${
          record.testAcc.toFixed(2)
        }%  ` +
        `${record.imagesPerSecond.toFixed(0)} img/s  ${formatDuration(record.seconds)}` +
        (epochsLeft > 0
          ? `  ETA ${formatDuration(epochsLeft * mean(history.map((r) => r.seconds)))}`
          : ""),
    );
    await options.onEpoch?.(record, state.params);
  }
  for (const b of state.buffers ?? []) b.dispose();
  return { history, params: state.params, complete, resumedFromEpoch: point.epoch };
}
