/**
 * Options shared by `train` and `finetune`, and their conversion into a run.
 *
 * @module
 */
import { type BackendInfo, useBackend } from "@slimming/kernels";
import { UsageError } from "@slimming/tensor-utils/core";
import {
  booleanOption,
  numberOption,
  type OptionSpecs,
  type ParsedOptions,
  requiredNumber,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import {
  DATA_OPTION,
  DATASET_OPTION,
  datasetOption,
  loadData,
  type LoadedData,
} from "../dataset.ts";
import type { CifarSpec } from "@slimming/cifar";
import {
  createProgressPrinter,
  disposeState,
  runTraining,
  type TrainingOptions,
  type TrainingResult,
} from "@slimming/train";
import {
  type LrSchedule,
  lrSteps,
  type ScheduleName,
  scheduleOf,
  SCHEDULES,
} from "@slimming/run-format";
import type { RunConfig } from "@slimming/run-format";
import { archField, type ModelSpec } from "@slimming/architectures";
import { JSON_OPTION } from "../closing.ts";

/** Options every training command takes. */
export const TRAINING_OPTIONS: OptionSpecs = {
  dataset: DATASET_OPTION,
  data: DATA_OPTION,
  out: { type: "string", value: "DIR", help: "run folder (required)" },
  epochs: { type: "string", value: "N", help: "epochs", default: "160" },
  "batch-size": { type: "string", value: "N", help: "training batch size", default: "64" },
  lr: {
    type: "string",
    value: "X",
    help: "initial learning rate, divided by 10 at 50% and 75% of the epochs",
    default: "0.1",
  },
  schedule: {
    type: "string",
    value: "NAME",
    help: "step (lr/10 at 50% and 75%), cosine, or onecycle (warm-up to --lr, cosine to 0)",
    default: "step",
  },
  warmup: {
    type: "string",
    value: "X",
    help: "onecycle: share of the steps warming up from lr/10",
    default: "0.15",
  },
  "label-smoothing": {
    type: "string",
    value: "X",
    help: "label smoothing of the cross-entropy, in [0, 1)",
    default: "0",
  },
  momentum: { type: "string", value: "X", help: "SGD momentum", default: "0.9" },
  nesterov: { type: "string", value: "true|false", help: "Nesterov momentum", default: "false" },
  "weight-decay": {
    type: "string",
    value: "X",
    help: "weight decay (every weight, gamma too)",
    default: "1e-4",
  },
  seed: {
    type: "string",
    value: "N",
    help: "seed of initialisation, data order and augmentation",
    default: "1",
  },
  subset: {
    type: "string",
    value: "N",
    help: "class-balanced training subset of N images (a multiple of the class count)",
  },
  "images-per-epoch": {
    type: "string",
    value: "N",
    help: "training images an epoch, drawn afresh (seeded) each epoch (default: all)",
  },
  "test-subset": { type: "string", value: "N", help: "class-balanced test subset of N images" },
  backend: {
    type: "string",
    value: "NAME",
    help: "auto, native, wasm-simd, cpu, wasm or webgpu",
    default: "auto",
  },
  threads: {
    type: "string",
    value: "N",
    help: "kernel threads (default: all cores; more than the cores is capped to them)",
  },
  resume: {
    type: "boolean",
    help: "continue the run in --out from its last committed epoch (none: a note, a fresh start)",
  },
  quiet: { type: "boolean", help: "no per-batch progress line" },
  json: JSON_OPTION,
};

/** Everything but the model: hyper-parameters, data and backend. */
export interface TrainingSetup {
  readonly out: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly schedule: LrSchedule;
  readonly labelSmoothing: number;
  readonly nesterov: boolean;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly subset?: number;
  /** Training images an epoch, drawn afresh each epoch (undefined: all). */
  readonly imagesPerEpoch?: number;
  readonly testSubset?: number;
  /** The data set (`--dataset`). */
  readonly dataset: CifarSpec;
  readonly data?: string;
  readonly backend: string;
  readonly threads?: number;
  readonly resume: boolean;
  readonly quiet: boolean;
}

function scheduleOption(values: ParsedOptions): LrSchedule {
  const name = requiredString(values, "schedule");
  if (!(SCHEDULES as readonly string[]).includes(name)) {
    throw new UsageError(`--schedule must be one of ${SCHEDULES.join(", ")}, got "${name}"`);
  }
  const lr = requiredNumber(values, "lr", { min: 0, minExclusive: true });
  const warmup = requiredNumber(values, "warmup", { min: 0, max: 1, maxExclusive: true });
  return scheduleOf({ lr, schedule: name as ScheduleName, warmup });
}

/** Validates the shared training options (UsageError on the first bad one). */
export function trainingSetup(values: ParsedOptions): TrainingSetup {
  return {
    out: requiredString(values, "out"),
    epochs: requiredNumber(values, "epochs", { integer: true, min: 1 }),
    batchSize: requiredNumber(values, "batch-size", { integer: true, min: 1 }),
    lr: requiredNumber(values, "lr", { min: 0, minExclusive: true }),
    schedule: scheduleOption(values),
    labelSmoothing: requiredNumber(values, "label-smoothing", {
      min: 0,
      max: 1,
      maxExclusive: true,
    }),
    nesterov: booleanOption(values, "nesterov") ?? false,
    momentum: requiredNumber(values, "momentum", { min: 0, max: 1, maxExclusive: true }),
    weightDecay: requiredNumber(values, "weight-decay", { min: 0 }),
    seed: requiredNumber(values, "seed", { integer: true, min: 0 }),
    subset: numberOption(values, "subset", { integer: true, min: 10 }),
    imagesPerEpoch: numberOption(values, "images-per-epoch", { integer: true, min: 1 }),
    testSubset: numberOption(values, "test-subset", { integer: true, min: 10 }),
    dataset: datasetOption(values),
    data: stringOption(values, "data"),
    backend: requiredString(values, "backend"),
    threads: numberOption(values, "threads", { integer: true, min: 1 }),
    resume: values.resume === true,
    quiet: values.quiet === true,
  };
}

/** Starts the backend and loads the data of a setup, printing what was chosen. */
export async function prepareRun(
  setup: Pick<
    TrainingSetup,
    "backend" | "threads" | "dataset" | "data" | "subset" | "testSubset" | "seed"
  >,
  log: (line: string) => void,
): Promise<{ backend: BackendInfo; data: LoadedData }> {
  const backend = await useBackend(setup.backend, { threads: setup.threads, log });
  log(
    `backend: ${backend.name} (${backend.description})${
      backend.skipped.length ? `; skipped ${backend.skipped.join("; ")}` : ""
    }`,
  );
  const data = await loadData({
    dataset: setup.dataset,
    data: setup.data,
    subset: setup.subset,
    testSubset: setup.testSubset,
    seed: setup.seed,
  });
  log(
    `data: ${data.spec.title}, ${data.source}: ${data.train.count} training, ` +
      `${data.test.count} test images`,
  );
  return { backend, data };
}

/**
 * Runs the training of `config` in `setup.out` (resuming when `setup.resume`) with a progress
 * line, releases the final model and resolves with the result.
 */
export async function trainFromSetup(
  setup: TrainingSetup,
  config: RunConfig,
  data: LoadedData,
  initial: TrainingOptions["initial"],
  teacher?: TrainingOptions["teacher"],
): Promise<TrainingResult> {
  const result = await runTraining({
    out: setup.out,
    config,
    data,
    resume: setup.resume,
    initial,
    progress: createProgressPrinter({ quiet: setup.quiet }),
    teacher,
  });
  disposeState({ params: result.params, buffers: null });
  return result;
}

/** The run's config.json. */
export function runConfig(
  setup: TrainingSetup,
  extra: {
    command: "train" | "finetune";
    spec: ModelSpec;
    depth?: number;
    width: number;
    lambda: number;
    checkpoint?: string;
    /** Knowledge distillation: the teacher checkpoint, α and T. */
    distill?: { teacher: string; kdWeight: number; kdTemperature: number };
  },
  backend: BackendInfo,
  data: LoadedData,
): RunConfig {
  return {
    command: extra.command,
    ...archField(extra.spec.arch),
    cfg: [...extra.spec.cfg],
    depth: extra.depth,
    ...(extra.spec.growthRate === undefined ? {} : { growthRate: extra.spec.growthRate }),
    width: extra.width,
    epochs: setup.epochs,
    batchSize: setup.batchSize,
    lr: setup.lr,
    momentum: setup.momentum,
    nesterov: setup.nesterov,
    weightDecay: setup.weightDecay,
    labelSmoothing: setup.labelSmoothing,
    schedule: setup.schedule.name,
    ...(setup.schedule.warmup === undefined ? {} : { warmup: setup.schedule.warmup }),
    lambda: extra.lambda,
    seed: setup.seed,
    subset: setup.subset,
    ...(setup.imagesPerEpoch === undefined ? {} : { imagesPerEpoch: setup.imagesPerEpoch }),
    testSubset: setup.testSubset,
    backend: `${backend.name} (${backend.description})`,
    dataset: data.spec.name,
    dataSource: data.source,
    lrSteps: setup.schedule.name === "step" ? lrSteps(setup.epochs) : [],
    checkpoint: extra.checkpoint,
    ...(extra.distill ?? {}),
    startedAt: new Date().toISOString(),
  };
}
