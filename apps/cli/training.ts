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
import type { ModelParams } from "./architecture.ts";
import type { LoadedData } from "./dataset.ts";
import { commitEpoch, epochLine, trainEpoch } from "./epoch.ts";
import { evaluate } from "./evaluate.ts";
import { createProgressPrinter, type ProgressPrinter } from "./progress.ts";
import { catchUpBest, startingPoint } from "./resume.ts";
import { learningRateAt, scheduleOf } from "./lr_schedule.ts";

/** Options of {@linkcode runTraining}. */
export interface TrainingOptions {
  readonly out: string;
  readonly config: RunConfig;
  readonly data: LoadedData;
  /** Continue from `out/last.safetensors` when present. */
  readonly resume: boolean;
  /** The starting model of a fresh run (called only when not resuming). */
  readonly initial: () => ModelParams | Promise<ModelParams>;
  readonly evalBatchSize?: number;
  readonly progress?: ProgressPrinter;
  /** Called after each committed epoch (tests use it to watch memory). */
  readonly onEpoch?: (record: EpochRecord, params: ModelParams) => void | Promise<void>;
  /** Stop (cleanly, after committing an epoch) once this many seconds have passed. */
  readonly maxSeconds?: number;
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
  for (let epoch = point.epoch; epoch < config.epochs; epoch++) {
    if (
      options.maxSeconds !== undefined && (performance.now() - started) / 1000 > options.maxSeconds
    ) {
      complete = false;
      break;
    }
    const lr = learningRateAt(schedule, {
      epoch,
      batch: 0,
      epochs: config.epochs,
      batchesPerEpoch: Math.ceil(data.train.count / config.batchSize),
    });
    const epochStart = performance.now();
    const lastGood = history.length > 0 ? `${out}/${RUN_FILES.last}` : "none (first epoch)";
    const trained = await trainEpoch(state, data.train, config, epoch, progress, lastGood);
    state = trained.state;
    const evaluation = await evaluate(state.params, data.test, options.evalBatchSize ?? 500);
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: trained.trainLoss,
      trainAcc: trained.trainAcc,
      testLoss: evaluation.loss,
      testAcc: evaluation.accuracy,
      lr, // of the epoch's first batch (the per-batch schedules change it within the epoch)
      seconds: (performance.now() - epochStart) / 1000,
      imagesPerSecond: trained.images / trained.seconds,
    };
    history.push(record);
    bestAcc = await commitEpoch(out, state, history, bestAcc);
    progress.done(epochLine(record, config.epochs, history));
    await options.onEpoch?.(record, state.params);
  }
  for (const b of state.buffers ?? []) b.dispose();
  return { history, params: state.params, complete, resumedFromEpoch: point.epoch };
}
