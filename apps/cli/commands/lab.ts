/**
 * `deno task lab`: the whole Network Slimming lab in one command. Sparsity training for
 * three lambdas, pruning the model of one lambda at 50% and 90%, fine-tuning both, and the
 * PDF report. Each stage has its own folder and is skipped when complete, so a killed lab
 * continues where it stopped; `lab.json` records options, stage times and what was met.
 *
 * @module
 */
import { renderReport } from "@slimming/report";
import {
  disposeTree,
  DivergenceError,
  readJsonIfExists,
  UsageError,
  writeJsonAtomic,
} from "@slimming/tensor-utils";
import { useBackend } from "@slimming/kernels";
import {
  cfgForDepth,
  convLayerNames,
  initVgg,
  scaleCfg,
  validateCfg,
  VGG_DEPTHS,
} from "@slimming/vgg";
import {
  helpText,
  numberOption,
  type OptionSpecs,
  parseCommand,
  type ParsedOptions,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { checkpointCfg, loadModel } from "../checkpoint.ts";
import { loadData, type LoadedData } from "../dataset.ts";
import { createProgressPrinter, formatDuration } from "../progress.ts";
import type {
  EpochRecord,
  LabEvent,
  LabStage,
  LabSummary,
  PruneSummary,
  RunConfig,
} from "../run_format.ts";
import { RUN_FILES, runTraining } from "../training.ts";
import { disposeState } from "../train_step.ts";
import { pruneModel } from "./prune.ts";
import { runConfig, type TrainingSetup } from "./training_options.ts";

/** A profile: the lab's scale. */
export interface LabProfile {
  readonly depth: number;
  readonly width: number;
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly subset?: number;
  readonly testSubset?: number;
  /** Wall-time budget in seconds; stages are cut short (and say so) to stay within it. */
  readonly timeBudget?: number;
  /** What this profile scales down compared to the paper, in words (for the report). */
  readonly scaledDown: readonly string[];
}

/** The lab's profiles. */
export const LAB_PROFILES: Readonly<Record<string, LabProfile>> = {
  paper: {
    depth: 19,
    width: 1,
    epochs: 160,
    finetuneEpochs: 160,
    batchSize: 64,
    scaledDown: [
      "nothing: VGG-19, 160 + 160 epochs, batch 64, all 50,000 training images (the paper's setting)",
    ],
  },
  lab: {
    depth: 19,
    width: 1,
    epochs: 60,
    finetuneEpochs: 20,
    batchSize: 100,
    scaledDown: [
      "60 sparsity epochs (paper: 160), lr divided by 10 at epochs 30 and 45",
      "20 fine-tune epochs (paper: 160)",
      "batch size 100 (paper: 64)",
    ],
  },
  quick: {
    depth: 19,
    width: 0.25,
    epochs: 12,
    finetuneEpochs: 8,
    batchSize: 64,
    subset: 20000,
    timeBudget: 19 * 60,
    scaledDown: [
      "VGG-19 at a quarter of the width (16 to 128 channels instead of 64 to 512)",
      "20,000 of the 50,000 training images (2,000 per class); the full 10,000-image test set",
      "12 sparsity epochs (paper: 160) and 8 fine-tune epochs (paper: 160)",
      "a 19-minute wall-time budget on a 2-core CPU: a stage that runs late is cut short and says so",
    ],
  },
};

const SPECS: OptionSpecs = {
  profile: { type: "string", value: "NAME", help: "quick, lab or paper", default: "quick" },
  out: { type: "string", value: "DIR", help: "lab folder", default: "runs/lab" },
  data: {
    type: "string",
    value: "PATH|URL",
    help: "CIFAR-10 (else $CIFAR10_PATH, ./data/, download)",
  },
  lambdas: {
    type: "string",
    value: "LIST",
    help: "sparsity coefficients of the three runs",
    default: "0,1e-4,1e-3",
  },
  "prune-lambda": {
    type: "string",
    value: "X",
    help: "which run to prune (default: the largest lambda)",
  },
  ratios: { type: "string", value: "LIST", help: "pruning ratios", default: "0.5,0.9" },
  "min-channels": {
    type: "string",
    value: "N",
    help: "fewest channels a pruned layer keeps",
    default: "3",
  },
  depth: { type: "string", value: "N", help: "VGG depth (profile)" },
  width: { type: "string", value: "X", help: "channel width multiplier (profile)" },
  epochs: { type: "string", value: "N", help: "sparsity-training epochs (profile)" },
  "finetune-epochs": { type: "string", value: "N", help: "fine-tuning epochs (profile)" },
  "batch-size": { type: "string", value: "N", help: "batch size (profile)" },
  subset: { type: "string", value: "N", help: "class-balanced training subset (profile)" },
  "test-subset": { type: "string", value: "N", help: "class-balanced test subset (profile)" },
  "time-budget": { type: "string", value: "SECONDS", help: "wall-time budget (profile; 0 = none)" },
  lr: { type: "string", value: "X", help: "initial learning rate", default: "0.1" },
  seed: { type: "string", value: "N", help: "seed", default: "1" },
  backend: {
    type: "string",
    value: "NAME",
    help: "auto, native, wasm-simd, cpu, wasm or webgpu",
    default: "auto",
  },
  threads: { type: "string", value: "N", help: "kernel threads (default: all cores)" },
  quiet: { type: "boolean", help: "no per-batch progress line" },
};

/** Help of `lab`. */
export const LAB_HELP: string = helpText(
  "lab",
  "Run the Network Slimming lab: sparsity training for three lambdas, prune at 50% and 90%,\n" +
    "fine-tune, and write <out>/report.pdf. Rerun the same command to continue a stopped lab.",
  SPECS,
);

function numberList(values: ParsedOptions, name: string, check: (v: number) => boolean): number[] {
  const text = requiredString(values, name);
  const list = text.split(",").map((s) => Number(s.trim()));
  if (
    list.length === 0 ||
    list.some((v, i) => text.split(",")[i].trim() === "" || !Number.isFinite(v) || !check(v))
  ) {
    throw new UsageError(
      `--${name} must be a comma-separated list of valid numbers, got "${text}"`,
    );
  }
  return list;
}

/** Lab options resolved from the profile and the overrides. */
export interface LabOptions extends LabProfile {
  readonly profileName: string;
  readonly out: string;
  readonly data?: string;
  readonly lambdas: number[];
  readonly pruneLambda: number;
  readonly ratios: number[];
  readonly minChannels: number;
  readonly lr: number;
  readonly seed: number;
  readonly backend: string;
  readonly threads?: number;
  readonly quiet: boolean;
}

/** Validates the lab's options (UsageError on the first bad one). */
export function labOptions(values: ParsedOptions): LabOptions {
  const profileName = requiredString(values, "profile");
  const profile = LAB_PROFILES[profileName];
  if (!profile) {
    throw new UsageError(
      `--profile must be one of ${Object.keys(LAB_PROFILES).join(", ")}, got "${profileName}"`,
    );
  }
  const depth = numberOption(values, "depth", { integer: true }) ?? profile.depth;
  if (!VGG_DEPTHS.includes(depth)) {
    throw new UsageError(`--depth must be one of ${VGG_DEPTHS.join(", ")}, got ${depth}`);
  }
  const lambdas = numberList(values, "lambdas", (v) => v >= 0);
  const pruneLambda = numberOption(values, "prune-lambda", { min: 0 }) ?? Math.max(...lambdas);
  if (!lambdas.includes(pruneLambda)) {
    throw new UsageError(
      `--prune-lambda ${pruneLambda} is not one of --lambdas ${lambdas.join(",")}`,
    );
  }
  const budget = numberOption(values, "time-budget", { min: 0 }) ?? profile.timeBudget;
  return {
    ...profile,
    profileName,
    depth,
    width: numberOption(values, "width", { min: 0, minExclusive: true }) ?? profile.width,
    epochs: numberOption(values, "epochs", { integer: true, min: 1 }) ?? profile.epochs,
    finetuneEpochs: numberOption(values, "finetune-epochs", { integer: true, min: 1 }) ??
      profile.finetuneEpochs,
    batchSize: numberOption(values, "batch-size", { integer: true, min: 1 }) ?? profile.batchSize,
    subset: numberOption(values, "subset", { integer: true, min: 10 }) ?? profile.subset,
    testSubset: numberOption(values, "test-subset", { integer: true, min: 10 }) ??
      profile.testSubset,
    timeBudget: budget === 0 ? undefined : budget,
    out: requiredString(values, "out"),
    data: stringOption(values, "data"),
    lambdas,
    pruneLambda,
    ratios: numberList(values, "ratios", (v) => v >= 0 && v < 1),
    minChannels: numberOption(values, "min-channels", { integer: true, min: 1 }) ?? 3,
    lr: numberOption(values, "lr", { min: 0, minExclusive: true }) ?? 0.1,
    seed: numberOption(values, "seed", { integer: true, min: 0 }) ?? 1,
    backend: requiredString(values, "backend"),
    threads: numberOption(values, "threads", { integer: true, min: 1 }),
    quiet: values.quiet === true,
  };
}

/** Folder name of a stage. */
export function stageDir(kind: "train" | "prune" | "finetune", value: number): string {
  if (kind === "train") {
    return `sparsity-${value === 0 ? "0" : value.toExponential().replace("+", "")}`;
  }
  return `${kind}-${Math.round(value * 100)}`;
}

/** Runs the lab with command-line arguments. */
export async function labCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<LabSummary | undefined> {
  const values = parseCommand(args, SPECS, "lab", LAB_HELP);
  if (!values) return undefined;
  return await runLab(labOptions(values), log);
}

/** Runs (or continues) a lab. */
export async function runLab(
  options: LabOptions,
  log: (line: string) => void,
): Promise<LabSummary> {
  const labStart = performance.now();
  const out = options.out;
  await Deno.mkdir(out, { recursive: true });
  const cfg = [...validateCfg(scaleCfg(cfgForDepth(options.depth), options.width))];
  const backend = await useBackend(options.backend, { threads: options.threads, log });
  log(`backend: ${backend.name} (${backend.description})`);
  const data: LoadedData = await loadData({
    data: options.data,
    subset: options.subset,
    testSubset: options.testSubset,
    seed: options.seed,
  });
  log(`data: ${data.source}: ${data.train.count} training, ${data.test.count} test images`);
  const previous = await readJsonIfExists<LabSummary>(`${out}/lab.json`);
  const startedAt = previous?.startedAt ?? new Date().toISOString();
  const events: LabEvent[] = [];
  const stages: LabStage[] = [];
  const plan: Array<{ kind: "train" | "prune" | "finetune"; value: number; weight: number }> = [
    ...options.lambdas.map((value) => ({ kind: "train" as const, value, weight: options.epochs })),
    ...options.ratios.map((value) => ({ kind: "prune" as const, value, weight: 1 })),
    ...options.ratios.map((value) => ({
      kind: "finetune" as const,
      value,
      weight: options.finetuneEpochs * 0.4,
    })),
  ];
  const summary = (finished: boolean): LabSummary => ({
    profile: options.profileName,
    scaledDown: [...options.scaledDown],
    cfg,
    depth: options.depth,
    width: options.width,
    lambdas: options.lambdas,
    pruneLambda: options.pruneLambda,
    ratios: options.ratios,
    seed: options.seed,
    backend: `${backend.name} (${backend.description})`,
    dataSource: data.source,
    subset: options.subset,
    epochs: options.epochs,
    finetuneEpochs: options.finetuneEpochs,
    batchSize: options.batchSize,
    stages: [
      ...stages,
      ...plan.slice(stages.length).map((p): LabStage => ({
        name: `${p.kind} ${p.value}`,
        dir: stageDir(p.kind, p.value),
        kind: p.kind,
        status: "pending",
        seconds: 0,
        ...(p.kind === "train" ? { lambda: p.value } : { ratio: p.value }),
      })),
    ],
    events: [...(previous?.events?.filter((e) => e.kind !== "skipped") ?? []), ...events],
    startedAt,
    finishedAt: finished ? new Date().toISOString() : undefined,
  });
  const progress = createProgressPrinter({ quiet: options.quiet });
  const budgetLeft = () =>
    options.timeBudget === undefined
      ? undefined
      : options.timeBudget - (performance.now() - labStart) / 1000;
  const setupFor = (dir: string, epochs: number, lr: number): TrainingSetup => ({
    out: `${out}/${dir}`,
    epochs,
    batchSize: options.batchSize,
    lr,
    momentum: 0.9,
    weightDecay: 1e-4,
    seed: options.seed,
    subset: options.subset,
    testSubset: options.testSubset,
    data: options.data,
    backend: options.backend,
    threads: options.threads,
    resume: true,
    quiet: options.quiet,
  });

  for (const [index, step] of plan.entries()) {
    const dir = stageDir(step.kind, step.value);
    const name = step.kind === "train"
      ? `sparsity training, lambda ${step.value}`
      : `${step.kind === "prune" ? "prune" : "fine-tune"} ${Math.round(step.value * 100)}%`;
    const stageStart = performance.now();
    const remainingWeight = plan.slice(index).reduce((a, p) => a + p.weight, 0);
    const left = budgetLeft();
    const maxSeconds = left === undefined
      ? undefined
      : Math.max(0, (left - 20) * (step.weight / remainingWeight));
    log(`\n== stage ${index + 1}/${plan.length}: ${name} (${out}/${dir})`);
    let status: LabStage["status"] = "done";
    let alreadyDone = false;
    if (step.kind === "prune") {
      const pruneJson = `${out}/${dir}/prune.json`;
      let pruned = await readJsonIfExists<PruneSummary>(pruneJson);
      if (pruned) {
        log(`already done (${pruneJson})`);
        alreadyDone = true;
      } else {
        const source = `${out}/${stageDir("train", options.pruneLambda)}/${RUN_FILES.best}`;
        const { params } = await loadModel(source);
        pruned = await pruneModel(params, {
          ratio: step.value,
          minChannels: options.minChannels,
          checkpoint: source,
          out: `${out}/${dir}`,
          data,
        });
        disposeTree(params);
      }
      log(
        `test accuracy ${pruned.testAccBefore.toFixed(2)}% -> masked ${
          pruned.maskedTestAcc.toFixed(2)
        }%, slim ${
          pruned.slimTestAcc.toFixed(2)
        }%; params ${pruned.paramsBefore} -> ${pruned.paramsAfter}`,
      );
      noteOnPrune(pruned, dir, events);
    } else {
      const epochs = step.kind === "train" ? options.epochs : options.finetuneEpochs;
      const lambda = step.kind === "train" ? step.value : 0;
      const checkpoint = step.kind === "finetune"
        ? `${out}/${stageDir("prune", step.value)}/pruned.safetensors`
        : undefined;
      const runCfg = checkpoint ? await checkpointCfg(checkpoint) : cfg;
      let lr = options.lr;
      for (let attempt = 0;; attempt++) {
        const setup = setupFor(dir, epochs, lr);
        const config: RunConfig = runConfig(
          setup,
          {
            command: step.kind === "train" ? "train" : "finetune",
            cfg: runCfg,
            depth: options.depth,
            width: step.kind === "train" ? options.width : 1,
            lambda,
            checkpoint,
          },
          backend,
          data,
        );
        const before =
          (await readJsonIfExists<EpochRecord[]>(`${setup.out}/${RUN_FILES.history}`))?.length ?? 0;
        try {
          const result = await runTraining({
            out: setup.out,
            config,
            data,
            resume: true,
            initial: async () =>
              checkpoint
                ? (await loadModel(checkpoint)).params
                : initVgg({ cfg, seed: options.seed }),
            progress,
            maxSeconds,
          });
          disposeState({ params: result.params, buffers: null });
          if (before >= epochs) {
            log(`already done (${setup.out})`);
            alreadyDone = true;
          } else if (before > 0) {
            events.push({
              stage: dir,
              kind: "resumed",
              message:
                `${name}: continued after epoch ${before} of ${epochs} (the lab had been stopped)`,
            });
          }
          if (!result.complete) {
            status = "failed";
            events.push({
              stage: dir,
              kind: "time-budget",
              message:
                `${name}: stopped after ${result.history.length} of ${epochs} epochs to stay within the ${
                  formatDuration(options.timeBudget ?? 0)
                } budget; later stages used its last checkpoint`,
            });
          }
          break;
        } catch (error) {
          if (!(error instanceof DivergenceError) || attempt >= 2) throw error;
          const moved = `${setup.out}.diverged-${attempt + 1}`;
          await Deno.rename(setup.out, moved);
          events.push({
            stage: dir,
            kind: "divergence",
            message: `${name}: ${
              error.message.split(";")[0]
            }; the run was kept in ${moved} and restarted with lr ${lr / 10}`,
          });
          lr /= 10;
        }
      }
    }
    stages.push({
      name,
      dir,
      kind: step.kind,
      status,
      // A stage finished by an earlier run keeps the time it took then.
      seconds: (alreadyDone
        ? previous?.stages.find((s) =>
          s.dir === dir && s.status === "done"
        )?.seconds
        : undefined) ??
        (performance.now() - stageStart) / 1000,
      ...(step.kind === "train" ? { lambda: step.value } : { ratio: step.value }),
    });
    await writeJsonAtomic(`${out}/lab.json`, summary(false));
  }
  const finalSummary = summary(true);
  await writeJsonAtomic(`${out}/lab.json`, finalSummary);
  const report = await renderReport({ runsDir: out, outDir: out });
  log(
    `\nreport: ${report.pdfPath} (${formatDuration((performance.now() - labStart) / 1000)} in all)`,
  );
  return finalSummary;
}

function noteOnPrune(pruned: PruneSummary, dir: string, events: LabEvent[]): void {
  const pct = Math.round(pruned.ratio * 100);
  const names = convLayerNames(pruned.cfgBefore);
  if (pruned.guardedLayers.length > 0) {
    const layers = pruned.guardedLayers.map((i) => names[i]);
    events.push({
      stage: dir,
      kind: "guard",
      message:
        `prune ${pct}%: the global threshold |γ| > ${
          pruned.threshold.toPrecision(3)
        } left fewer than ` +
        `${pruned.minChannels} channels in ${
          layers.join(", ")
        }; the reference vggprune.py cannot build such a ` +
        `model, so the min-channels guard kept each one's ${pruned.minChannels} largest |γ|`,
    });
  }
  if (pruned.slimTestAcc < 20 || pruned.testAccBefore - pruned.slimTestAcc > 5) {
    events.push({
      stage: dir,
      kind: "collapse",
      message: `prune ${pct}%: test accuracy fell from ${pruned.testAccBefore.toFixed(2)}% to ` +
        `${
          pruned.slimTestAcc.toFixed(2)
        }% before fine-tuning; the fine-tuning stage retrains the slim model`,
    });
  }
  if (Math.abs(pruned.maskedTestAcc - pruned.slimTestAcc) > 0.05) {
    events.push({
      stage: dir,
      kind: "note",
      message:
        `prune ${pct}%: masked ${pruned.maskedTestAcc.toFixed(2)}% and slim ${
          pruned.slimTestAcc.toFixed(2)
        }% ` +
        `differ by more than 0.05 points`,
    });
  }
}
