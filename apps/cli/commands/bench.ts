/**
 * `deno task bench`: training and inference images/s of VGG-19 (scaled by width) on each
 * backend that can train, against PyTorch on the same model and machine in the same run
 * (rounds alternate between the two; medians reported), the share of a step spent on data,
 * and the inference speed-up of a 90%-pruned model. The PyTorch side is `../bench/torch.ts`,
 * the timing `../bench/timing.ts`, the table `../bench/table.ts`; `--contended` (training
 * alone and beside a busy process) is `../bench/contended.ts`.
 *
 * @module
 */
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { probeWebgpu, useBackend } from "@slimming/kernels";
import {
  type Command,
  defineCommand,
  numberOption,
  type OptionSpecs,
  type ParsedOptions,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { inferenceSpeed } from "@slimming/train";
import { type BenchResult, type BenchRow, benchTable, modelLabel } from "../bench/table.ts";
import {
  cpuName,
  dataShare,
  launchesPerStep,
  median,
  profileStep,
  sparseLooking,
  stepsFor,
  timeTraining,
  trainStepSeconds,
} from "../bench/timing.ts";
import { TorchBench, torchModel } from "../bench/torch.ts";
import { contendedBench, type ContendedResult, contendedTable } from "../bench/contended.ts";
import { exportedBench, type ExportedTiming } from "../bench/exported.ts";
import { memoryBench, type MemoryResult, memoryTable } from "../bench/memory.ts";
import { TRAINING_OPTIONS } from "./training_options.ts";
import { datasetOption } from "../dataset.ts";
import {
  ARCH_NAMES,
  archChoices,
  archInfo,
  type Architecture,
  architecture,
  DEFAULT_ARCH,
  depthChoices,
  modelName,
  type ModelParams,
} from "@slimming/architectures";

export { type BenchResult, type BenchRow, benchTable } from "../bench/table.ts";

/** The model `bench` times by default ("VGG-19"), and the other `--arch` choices. */
const DEFAULT_MODEL = modelName({ arch: DEFAULT_ARCH, depth: archInfo(DEFAULT_ARCH).defaultDepth });
/** Training steps (after one warm-up step) of each `--memory` measurement. */
const MEMORY_STEPS = 4;
const OTHER_ARCHS = ARCH_NAMES.filter((name) => name !== DEFAULT_ARCH).join(", ");

const SPECS: OptionSpecs = {
  arch: {
    type: "string",
    value: "NAME",
    help: archChoices(),
    default: DEFAULT_ARCH,
  },
  depth: {
    type: "string",
    value: "N",
    help: `depth (by default ${depthChoices({ rules: false })})`,
  },
  widths: {
    type: "string",
    value: "LIST",
    help: "width multipliers (DenseNet: of the growth rate 12)",
    default: "0.125,0.25",
  },
  backends: {
    type: "string",
    value: "LIST",
    help: "backends to time (default: those that train here)",
  },
  dataset: { ...TRAINING_OPTIONS.dataset, help: "cifar10 or cifar100: the head's class count" },
  "batch-size": TRAINING_OPTIONS["batch-size"],
  "infer-batch": { type: "string", value: "N", help: "inference batch size", default: "256" },
  rounds: {
    type: "string",
    value: "N",
    help: "timed rounds per measurement (median reported)",
    default: "5",
  },
  seconds: { type: "string", value: "S", help: "target seconds per round", default: "1" },
  python: {
    type: "string",
    value: "PATH",
    help: "Python with torch for the comparison",
    default: "/usr/bin/python3",
  },
  threads: { ...TRAINING_OPTIONS.threads, help: "threads for both sides (default: all cores)" },
  profile: { type: "boolean", help: "also print the per-kernel times of one training step" },
  json: { type: "boolean", help: "print the results as JSON" },
  contended: {
    type: "boolean",
    help: "time training alone and with a busy process beside it (no PyTorch side)",
  },
  memory: {
    type: "boolean",
    help: `peak resident memory of ${MEMORY_STEPS + 1} training steps, ours and PyTorch's, ` +
      "each in a fresh process",
  },
};

/** The validated options of `bench`. */
interface BenchOptions {
  readonly widths: number[];
  readonly batch: number;
  readonly inferBatch: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly threads: number;
  readonly backends?: string[];
  /** The head's class count (`--dataset`). */
  readonly numClasses: number;
  readonly arch: Architecture<ModelParams>;
  readonly depth: number;
}

function benchOptions(values: ParsedOptions): BenchOptions {
  const arch = architecture(requiredString(values, "arch"));
  const widths = requiredString(values, "widths").split(",").map(Number);
  if (widths.some((w) => !(w > 0 && w <= 4))) {
    throw new UsageError("--widths must be numbers in (0, 4]");
  }
  return {
    widths,
    batch: numberOption(values, "batch-size", { integer: true, min: 1 })!,
    inferBatch: numberOption(values, "infer-batch", { integer: true, min: 1 })!,
    rounds: numberOption(values, "rounds", { integer: true, min: 1 })!,
    seconds: numberOption(values, "seconds", { min: 0, minExclusive: true })!,
    threads: numberOption(values, "threads", { integer: true, min: 1 }) ??
      navigator.hardwareConcurrency,
    backends: stringOption(values, "backends")?.split(","),
    numClasses: datasetOption(values).classCount,
    arch,
    depth: numberOption(values, "depth", { integer: true }) ?? arch.defaultDepth,
  };
}

/** The backends to time: those asked for, else those that start here (no software WebGPU). */
async function timedBackends(options: BenchOptions, log: (line: string) => void) {
  const wanted = options.backends;
  const backends: string[] = [];
  for (const name of wanted ?? ["native", "wasm-simd", "webgpu"]) {
    try {
      await useBackend(name, { threads: options.threads, log });
      const probe = name === "webgpu" ? await probeWebgpu() : undefined;
      if (typeof probe === "object" && probe.software && !wanted) {
        log(
          "webgpu: a software adapter only (llvmpipe): skipped (ask for it with --backends webgpu)",
        );
        continue;
      }
      backends.push(name);
    } catch (error) {
      log(`${name}: not timed (${error instanceof Error ? error.message.split("\n")[0] : error})`);
    }
  }
  if (backends.length === 0) throw new UsageError("no backend to time");
  return backends;
}

type TorchRate = (request: Record<string, unknown>) => Promise<number | undefined>;

// Both sides park their worker threads after spinning a while; let them settle between
// turns so neither measures the other's spinning threads.
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

function torchRate(torch: TorchBench | undefined, threads: number): TorchRate {
  return async (request) => {
    try {
      await settle();
      return await torch?.measure({ ...request, threads });
    } catch {
      return undefined;
    }
  };
}

const medianOrUndefined = (values: number[]) => values.length ? median(values) : undefined;

/** Alternating rounds of one width on one backend; also the step time and profile if asked. */
async function measureRow(
  width: number,
  backend: string,
  options: BenchOptions,
  torch: TorchRate,
  log: (line: string) => void,
  profile: boolean,
): Promise<{ row: BenchRow; profile?: BenchResult["profile"] }> {
  const { batch, inferBatch, rounds, numClasses: classes, arch, depth } = options;
  const spec = arch.specFor({ depth, width });
  await useBackend(backend, { threads: options.threads, log });
  const params = arch.init(spec, { seed: 1, numClasses: classes });
  const model = torchModel(arch, spec, depth, classes);
  const steps = stepsFor(options.seconds, await trainStepSeconds(params, batch));
  const train: number[] = [], infer: number[] = [];
  const torchTrain: number[] = [], torchInfer: number[] = [];
  for (let r = 0; r < rounds; r++) {
    log(`width ${width} ${backend}: round ${r + 1}/${rounds}`);
    await settle();
    train.push(await timeTraining(params, batch, steps));
    const tt = await torch({ ...model, mode: "train", batch, steps });
    if (tt !== undefined) torchTrain.push(tt);
    await settle();
    infer.push(await inferenceSpeed(params, inferBatch, 3));
    const ti = await torch({ ...model, mode: "infer", batch: inferBatch, steps: 3 });
    if (ti !== undefined) torchInfer.push(ti);
  }
  const kernels = profile ? await profileStep(params, batch) : undefined;
  const launches = backend === "webgpu" ? await launchesPerStep(params, batch) : undefined;
  disposeTree(params);
  const row = {
    model: modelLabel(arch.title, depth, width, classes),
    backend,
    trainImagesPerSecond: median(train),
    inferImagesPerSecond: median(infer),
    torchTrainImagesPerSecond: medianOrUndefined(torchTrain),
    torchInferImagesPerSecond: medianOrUndefined(torchInfer),
    launchesPerStep: launches,
  };
  return { row, profile: kernels };
}

/** Inference of a sparse-looking model of `width` against its 90% prune, on both sides. */
async function measureSlim(
  width: number,
  options: BenchOptions,
  torch: TorchRate,
): Promise<BenchResult["slim"]> {
  const classes = options.numClasses;
  const arch = options.arch;
  // The default depth's model at this width (VGG-19's cfg, as the PyTorch side builds it).
  const spec = arch.specFor({ width });
  const cfg = spec.cfg;
  const full = sparseLooking(arch, arch.init(spec, { seed: 2, numClasses: classes }), 7);
  const pruned = arch.prune(full, await arch.absGammas(full), 0.9, { minChannels: 3 });
  const prunedCfg = arch.specOf(pruned.params).cfg;
  const fullInfer: number[] = [], slimInfer: number[] = [];
  const torchFull: number[] = [], torchSlim: number[] = [];
  const request = { mode: "infer", batch: options.inferBatch, steps: 3, classes };
  for (let r = 0; r < options.rounds; r++) {
    fullInfer.push(await inferenceSpeed(full, options.inferBatch, 3));
    slimInfer.push(await inferenceSpeed(pruned.params, options.inferBatch, 3));
    const tf1 = await torch({ ...request, cfg });
    const tf2 = await torch({ ...request, cfg: prunedCfg });
    if (tf1 !== undefined) torchFull.push(tf1);
    if (tf2 !== undefined) torchSlim.push(tf2);
  }
  disposeTree(full);
  disposeTree(pruned.params);
  return {
    cfg: prunedCfg,
    fullInfer: median(fullInfer),
    slimInfer: median(slimInfer),
    torchFullInfer: medianOrUndefined(torchFull),
    torchSlimInfer: medianOrUndefined(torchSlim),
  };
}

/** Runs `bench` with command-line arguments. */
const timingCommand: Command<BenchResult | ContendedResult | MemoryResult> = defineCommand(
  "bench",
  `Time training and inference of ${DEFAULT_MODEL} (or --arch ${OTHER_ARCHS}) on each backend against\n` +
    "PyTorch on the same machine.",
  SPECS,
  async (values, log) => {
    const options = benchOptions(values);
    const backends = await timedBackends(options, log);
    if (values.memory) {
      const result = await memoryBench(
        { ...options, backends, python: requiredString(values, "python"), steps: MEMORY_STEPS },
        log,
      );
      console.log(values.json ? JSON.stringify(result, null, 2) : memoryTable(result));
      return result;
    }
    if (values.contended) {
      const result = await contendedBench({ ...options, backends }, log);
      console.log(values.json ? JSON.stringify(result, null, 2) : contendedTable(result));
      return result;
    }
    const torch = TorchBench.start(requiredString(values, "python"));
    const rate = torchRate(torch, options.threads);
    const rows: BenchRow[] = [];
    let stepMsForShare = 0;
    let profile: BenchResult["profile"];
    const lastWidth = options.widths[options.widths.length - 1];
    for (const width of options.widths) {
      for (const backend of backends) {
        // The data share and the profile are of the first backend at the last width.
        const first = width === lastWidth && backend === backends[0];
        const measured = await measureRow(
          width,
          backend,
          options,
          rate,
          log,
          first && !!values.profile,
        );
        if (first) {
          stepMsForShare = (1000 * options.batch) / measured.row.trainImagesPerSecond;
          profile = measured.profile;
        }
        rows.push(measured.row);
      }
    }
    await useBackend(backends[0], { threads: options.threads, log });
    // The pruned-model speed-up row, where the PyTorch side runs the reference's slim model.
    const slim = options.arch.capabilities.benchPruned
      ? await measureSlim(lastWidth, options, rate)
      : undefined;
    const result: BenchResult = {
      machine: `${await cpuName()}, ${navigator.hardwareConcurrency} cores`,
      threads: options.threads,
      torch: torch?.version || undefined,
      rows,
      dataShare: dataShare(stepMsForShare, options.batch),
      slim,
      profile,
    };
    await torch?.close();
    console.log(values.json ? JSON.stringify(result, null, 2) : benchTable(result));
    return result;
  },
);

/**
 * Runs `bench` with command-line arguments: the backends against PyTorch, or with
 * `--exported DIR...` first, the exported models in ONNX Runtime and stock tfjs.
 */
export const benchCommand: Command<
  BenchResult | ContendedResult | MemoryResult | ExportedTiming[]
> = {
  help: timingCommand.help,
  run: (args, log) =>
    args[0] === "--exported" ? exportedBench(args.slice(1), log) : timingCommand.run(args, log),
};
