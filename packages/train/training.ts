/**
 * The training loop shared by `train` and `finetune`: seeded epochs of augmented batches,
 * SGD with the sparsity term, the learning-rate schedule (step, cosine or onecycle), per-epoch evaluation,
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
import { removeStaleTempFiles } from "@slimming/tensor-utils";
import { type EpochRecord, RUN_FILES, type RunConfig } from "@slimming/run-format";
import type { ModelParams } from "@slimming/architectures";
import type { LoadedData } from "./data.ts";
import { commitEpoch, type EpochFinish, epochImages, epochLine, trainEpoch } from "./epoch.ts";
import { evaluate } from "./evaluate.ts";
import { createProgressPrinter, type ProgressPrinter } from "./progress.ts";
import { catchUpBest, startingPoint } from "./resume.ts";
import { learningRateAt, type LrSchedule, scheduleOf } from "@slimming/run-format";

/** Options of {@linkcode runTraining}. */
export interface TrainingOptions {
  readonly out: string;
  readonly config: RunConfig;
  readonly data: LoadedData;
  /** Continue from `out/last.safetensors` when present. */
  readonly resume: boolean;
  /** The starting model of a fresh run (called only when not resuming). */
  readonly initial: () => ModelParams | Promise<ModelParams>;
  /** Images per test-set evaluation batch (default: `evaluate`'s, `EVAL_BATCH_SIZE`). */
  readonly evalBatchSize?: number;
  readonly progress?: ProgressPrinter;
  /** Called after each committed epoch (tests use it to watch memory). */
  readonly onEpoch?: (record: EpochRecord, params: ModelParams) => void | Promise<void>;
  /**
   * The run's time limit in seconds. When the epochs left would run past it, the last epoch
   * that fits anneals the learning rate (see {@linkcode EpochFinish}) and the run stops there,
   * committed; it never stops at the schedule's peak.
   */
  readonly maxSeconds?: number;
  /** Knowledge distillation's teacher (with `config.teacher`; the caller disposes it). */
  readonly teacher?: ModelParams;
}

/** What an epoch costs, measured on the epochs this process ran. */
interface EpochCost {
  trainSecondsPerImage: number;
  evalSeconds: number;
}

/**
 * How epoch `epoch` must end for the run to keep to `secondsLeft`: undefined when the rest of
 * the run fits, or there is no measured cost yet, or it is the last epoch (which anneals
 * anyway); else an annealing last epoch on the images that fit (at least one batch). With
 * another epoch's time to spare after this one, the epoch runs as planned.
 */
export function epochFinish(
  cost: EpochCost | undefined,
  secondsLeft: number,
  at: { epoch: number; epochs: number; images: number; batchSize: number; lr: number },
): EpochFinish | undefined {
  if (cost === undefined || at.epoch >= at.epochs - 1) return undefined;
  const epochSeconds = at.images * cost.trainSecondsPerImage + cost.evalSeconds;
  if (secondsLeft >= (at.epochs - at.epoch) * epochSeconds) return undefined;
  if (secondsLeft >= 2 * epochSeconds) return undefined;
  const fitting = Math.floor((secondsLeft - cost.evalSeconds) / cost.trainSecondsPerImage);
  return { images: Math.min(at.images, Math.max(at.batchSize, fitting)), fromLr: at.lr };
}

/** The learning rate a run's annealing last epoch starts from. */
function annealStart(schedule: LrSchedule, lrNow: number): number {
  // The step schedule ends at lr/100: its annealing last epoch starts there, not higher.
  return schedule.name === "step" ? Math.min(lrNow, schedule.lr / 100) : lrNow;
}

/** What a training run ended with. */
export interface TrainingResult {
  readonly history: EpochRecord[];
  /** The final model (the caller disposes it). */
  readonly params: ModelParams;
  /** True when every epoch ran; false when the time budget stopped it. */
  readonly complete: boolean;
  readonly resumedFromEpoch: number;
}

/** Trains (or fine-tunes) as `options.config` says, writing the run folder; see the module doc. */
export async function runTraining(options: TrainingOptions): Promise<TrainingResult> {
  const { out, config, data } = options;
  const progress = options.progress ?? createProgressPrinter();
  const started = performance.now();
  await Deno.mkdir(out, { recursive: true });
  await removeStaleTempFiles(out);
  const point = await startingPoint(out, config, options.resume, options.initial, progress);
  let { state } = point;
  const history = [...point.history];
  let bestAcc = await catchUpBest(out, history, state.params);
  const schedule = scheduleOf(config);
  let complete = true;
  let cost: EpochCost | undefined;
  const images = epochImages(config, data.train.count);
  for (let epoch = point.epoch; epoch < config.epochs; epoch++) {
    const secondsLeft = options.maxSeconds === undefined
      ? Infinity
      : options.maxSeconds - (performance.now() - started) / 1000;
    // A run with no committed epoch runs one whatever the limit: a stage leaves a model.
    if (secondsLeft <= 0 && history.length > 0) {
      complete = false;
      break;
    }
    const scheduled = learningRateAt(schedule, {
      epoch,
      batch: 0,
      epochs: config.epochs,
      batchesPerEpoch: Math.ceil(images / config.batchSize),
    });
    const finish = epochFinish(cost, secondsLeft, {
      epoch,
      epochs: config.epochs,
      images,
      batchSize: config.batchSize,
      lr: annealStart(schedule, scheduled),
    });
    const lr = finish ? finish.fromLr : scheduled;
    const epochStart = performance.now();
    const lastGood = history.length > 0 ? `${out}/${RUN_FILES.last}` : "none (first epoch)";
    const trained = await trainEpoch(
      state,
      data.train,
      config,
      epoch,
      progress,
      lastGood,
      finish,
      options.teacher,
    );
    state = trained.state;
    const evalStart = performance.now();
    const evaluation = await evaluate(
      state.params,
      data.test,
      options.evalBatchSize,
    );
    cost = {
      trainSecondsPerImage: trained.seconds / trained.images,
      evalSeconds: (performance.now() - evalStart) / 1000,
    };
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: trained.trainLoss,
      trainAcc: trained.trainAcc,
      testLoss: evaluation.loss,
      testAcc: evaluation.accuracy,
      lr, // of the epoch's first batch (the per-batch schedules change it within the epoch)
      seconds: (performance.now() - epochStart) / 1000,
      imagesPerSecond: trained.images / trained.seconds,
      images: trained.images,
      ...(finish ? { annealed: true } : {}),
    };
    history.push(record);
    bestAcc = await commitEpoch(out, state, history, bestAcc);
    progress.done(epochLine(record, config.epochs, history));
    await options.onEpoch?.(record, state.params);
    if (finish) {
      complete = false;
      break;
    }
  }
  for (const b of state.buffers ?? []) b.dispose();
  return { history, params: state.params, complete, resumedFromEpoch: point.epoch };
}
