/**
 * A small synthetic lab folder for tests and examples: lab.json, per-stage config.json,
 * history.json, prune.json and last.safetensors checkpoints (PyTorch reference names).
 * The |γ| of each λ come from a different distribution — the larger λ, the more of them
 * near zero, and the last conv block nearly all-zero for the largest λ so that the
 * min-channels guard fires at a 90% prune.
 *
 * Built by the real code: the stages and folders are run-format's `labPlan`, the threshold,
 * guard, kept channels, params and FLOPs of each prune are slimming's `planPrune` on those γ
 * (vgg's counts), and every file is written by run-format's writers. Only the fixture's
 * inputs are invented: the γ, the training curves, the accuracies of the pruned models
 * ({@linkcode fixturePruneAccuracy}) and the speeds.
 *
 * @module
 */
import { join } from "node:path";
import {
  createRng,
  encodeSafetensors,
  f32,
  type NamedArray,
  type Rng,
} from "@slimming/tensor-utils/core";
import {
  type CfgItem,
  type EpochRecord,
  type LabEvent,
  labPlan,
  type LabStage,
  type LabSummary,
  pendingStage,
  type PlannedStage,
  type PruneSummary,
  pruneSummary,
  type RunConfig,
  stageDir,
  writeHistory,
  writeLabSummary,
  writePruneSummary,
  writeRunConfig,
} from "@slimming/run-format";
import { planPrune } from "@slimming/slimming/core";
import { convChannels, scaleCfg, VGG_CFGS } from "@slimming/vgg/cfg";

/** VGG-19 for CIFAR at a quarter of the width: 16 convs, small checkpoints. */
export const QUARTER_VGG19: CfgItem[] = scaleCfg(VGG_CFGS[19], 0.25);

/**
 * Fixture input: test accuracy of the masked and of the slim model after pruning at `ratio` a
 * model of accuracy `before` (invented numbers: no model is evaluated). A prune of 85% or
 * more collapses to chance, so the report's collapse and recovery findings appear.
 */
export function fixturePruneAccuracy(
  ratio: number,
  before: number,
): { masked: number; slim: number } {
  return ratio >= 0.85
    ? { masked: 10.37, slim: 10 }
    : { masked: before - 0.21, slim: before - 0.43 };
}

/** Fixture input: measured images/s of the unpruned model (invented). */
export const FIXTURE_IMAGES_PER_SECOND: number = 2410.5;

/** What to generate. */
export interface SyntheticLabOptions {
  readonly cfg?: CfgItem[];
  readonly lambdas?: number[];
  readonly ratios?: number[];
  readonly epochs?: number;
  readonly finetuneEpochs?: number;
  readonly minChannels?: number;
  readonly seed?: number;
  /** Stage folders to leave out entirely (their lab.json status is "pending"). */
  readonly omit?: string[];
  /** lab.json events (default: a guard and a collapse event at the largest ratio). */
  readonly events?: LabEvent[];
  readonly profile?: string;
  readonly scaledDown?: string[];
  /** Write the 4-D conv weights into the checkpoints (default true; false keeps big cfgs fast). */
  readonly convWeights?: boolean;
}

/** What was written, for tests to compare against. */
export interface SyntheticLab {
  readonly dir: string;
  readonly summary: LabSummary;
  /** prune.json contents by stage folder. */
  readonly prunes: Record<string, PruneSummary>;
  /** history.json contents by stage folder. */
  readonly histories: Record<string, EpochRecord[]>;
}

function sampleGammas(rng: Rng, count: number, nearZeroShare: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = rng.next() < nearZeroShare
      ? rng.normal() * 0.004
      : Math.max(0.02, 0.45 + 0.15 * rng.normal()) * (rng.next() < 0.1 ? -1 : 1);
  }
  return out;
}

/** γ per BN layer for the `index`-th of `count` λ values (0 = least sparse). */
function layerGammas(cfg: readonly CfgItem[], rng: Rng, index: number, count: number) {
  const widths = convChannels(cfg);
  const share = count <= 1 ? 0.5 : (index / (count - 1)) * 0.7;
  const lastBlock = widths.length - 4;
  return widths.map((w, layer) =>
    sampleGammas(rng, w, index === count - 1 && layer >= lastBlock ? 0.97 : share)
  );
}

function checkpoint(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  rng: Rng,
  convWeights: boolean,
): Uint8Array {
  const tensors: Record<string, NamedArray> = {};
  let feature = 0;
  let inChannels = 3;
  let layer = 0;
  for (const item of cfg) {
    if (item === "M") {
      feature++;
      continue;
    }
    if (convWeights) {
      const conv = new Float32Array(item * inChannels * 9).map(() => rng.normal() * 0.05);
      tensors[`feature.${feature}.weight`] = f32([item, inChannels, 3, 3], conv);
    }
    const bn = feature + 1;
    tensors[`feature.${bn}.weight`] = f32([item], gammas[layer]);
    tensors[`feature.${bn}.bias`] = f32([item], new Float32Array(item).fill(0.01));
    tensors[`feature.${bn}.running_mean`] = f32([item], new Float32Array(item));
    tensors[`feature.${bn}.running_var`] = f32([item], new Float32Array(item).fill(1));
    inChannels = item;
    feature += 3;
    layer++;
  }
  tensors["classifier.weight"] = f32([10, inChannels], new Float32Array(10 * inChannels));
  tensors["classifier.bias"] = f32([10], new Float32Array(10));
  return encodeSafetensors(tensors, { cfg: JSON.stringify(cfg) });
}

function history(
  rng: Rng,
  epochs: number,
  start: number,
  end: number,
  speed: number,
): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const progress = 1 - Math.exp(-(i + 1) / speed);
    const test = start + (end - start) * progress + rng.normal() * 0.4;
    const train = Math.min(99.5, test + 2 + 4 * progress + rng.normal() * 0.3);
    return {
      epoch: i + 1,
      trainLoss: Number((2.3 * (1 - progress) + 0.05).toFixed(4)),
      trainAcc: Number(train.toFixed(2)),
      testLoss: Number((2.3 * (1 - progress) + 0.3).toFixed(4)),
      testAcc: Number(test.toFixed(2)),
      lr: 0.1,
      seconds: 30 + rng.next() * 5,
      imagesPerSecond: 1600 + rng.next() * 100,
    };
  });
}

/** prune.json of pruning the model of `gammas` at `ratio`: slimming's decision and counts. */
function fixturePrune(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  ratio: number,
  minChannels: number,
  testAccBefore: number,
  dir: string,
): PruneSummary {
  const abs = gammas.map((g) => g.map(Math.abs));
  const report = planPrune(cfg, abs, ratio, { minChannels });
  const accuracy = fixturePruneAccuracy(ratio, testAccBefore);
  return pruneSummary(report, {
    ratio,
    minChannels,
    testAccBefore,
    maskedTestAcc: accuracy.masked,
    slimTestAcc: accuracy.slim,
    imagesPerSecondBefore: FIXTURE_IMAGES_PER_SECOND,
    // Fixture input: a speed-up that grows with the FLOPs saved.
    imagesPerSecondAfter: FIXTURE_IMAGES_PER_SECOND *
      (report.flopsBefore / report.flopsAfter) ** 0.6,
    checkpoint: `${dir}/pruned.safetensors`,
  });
}

/** The fixture's settings, defaults filled in. */
interface Settings {
  readonly cfg: CfgItem[];
  readonly minChannels: number;
  readonly seed: number;
  readonly convWeights: boolean;
  readonly lambdaCount: number;
}

/** What the stages written so far leave for the next ones. */
interface Written {
  readonly stages: LabStage[];
  readonly prunes: Record<string, PruneSummary>;
  readonly histories: Record<string, EpochRecord[]>;
  /** γ and final test accuracy of the model the prunes start from. */
  pruneGammas: Float32Array[];
  pruneAccuracy: number;
}

const BASE_CONFIG = {
  depth: 19,
  width: 0.25,
  batchSize: 64,
  momentum: 0.9,
  weightDecay: 1e-4,
  subset: 5000,
  testSubset: 1000,
  backend: "cpu",
  dataSource: "synthetic fixture",
  startedAt: "2026-01-02T03:04:05.000Z",
} as const;

/** Fixture input: seconds a prune stage took. */
const PRUNE_SECONDS = 4.2;

async function writeTrainingRun(
  path: string,
  config: RunConfig,
  records: EpochRecord[],
): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  await writeRunConfig(path, config);
  await writeHistory(path, records);
}

/** A sparsity training: config, history and last.safetensors; resolves with its seconds. */
async function sparsityStage(
  dir: string,
  stage: PlannedStage,
  index: number,
  plan: { settings: Settings; rng: Rng; written: Written; skip: boolean; isPruned: boolean },
): Promise<number> {
  const { settings, rng, written } = plan;
  const { cfg, seed } = settings;
  const gammas = layerGammas(cfg, createRng(seed, 2, index), index, settings.lambdaCount);
  const records = history(rng, stage.epochs, 18, 86 - 2 * index, 3 + index);
  if (plan.isPruned) {
    written.pruneGammas = gammas;
    written.pruneAccuracy = records.at(-1)!.testAcc;
  }
  if (plan.skip) return 0;
  const path = join(dir, stage.dir);
  const config: RunConfig = {
    ...BASE_CONFIG,
    cfg,
    seed,
    command: "train",
    epochs: stage.epochs,
    lr: 0.1,
    lambda: stage.value,
    lrSteps: [Math.floor(stage.epochs / 2), Math.floor((3 * stage.epochs) / 4)],
  };
  await writeTrainingRun(path, config, records);
  written.histories[stage.dir] = records;
  await Deno.writeFile(
    join(path, "last.safetensors"),
    checkpoint(cfg, gammas, rng, settings.convWeights),
  );
  return records.reduce((n, r) => n + r.seconds, 0);
}

/** A fine-tune of the prune at the stage's ratio: config and history; resolves with its seconds. */
async function finetuneStage(
  dir: string,
  stage: PlannedStage,
  plan: { settings: Settings; rng: Rng; written: Written; skip: boolean },
): Promise<number> {
  const { rng, written, settings } = plan;
  const start = fixturePruneAccuracy(stage.value, written.pruneAccuracy).slim;
  const end = written.pruneAccuracy - 0.8 * stage.value;
  const records = history(rng, stage.epochs, start, end, 1.5);
  if (plan.skip) return 0;
  const config: RunConfig = {
    ...BASE_CONFIG,
    cfg: settings.cfg,
    seed: settings.seed,
    command: "finetune",
    epochs: stage.epochs,
    lr: 0.01,
    lambda: 0,
    lrSteps: [],
    checkpoint: stage.source,
  };
  await writeTrainingRun(join(dir, stage.dir), config, records);
  written.histories[stage.dir] = records;
  return records.reduce((n, r) => n + r.seconds, 0);
}

/** Writes a synthetic lab into `dir` (created if needed). */
export async function writeSyntheticLab(
  dir: string,
  options: SyntheticLabOptions = {},
): Promise<SyntheticLab> {
  const lambdas = options.lambdas ?? [0, 1e-5, 1e-4];
  const ratios = options.ratios ?? [0.5, 0.9];
  const epochs = options.epochs ?? 12;
  const finetuneEpochs = options.finetuneEpochs ?? 8;
  const settings: Settings = {
    cfg: options.cfg ?? QUARTER_VGG19,
    minChannels: options.minChannels ?? 4,
    seed: options.seed ?? 7,
    convWeights: options.convWeights ?? true,
    lambdaCount: lambdas.length,
  };
  const { cfg, seed } = settings;
  const omit = new Set(options.omit ?? []);
  const pruneLambda = Math.max(...lambdas);
  const plan = labPlan({ lambdas, pruneLambda, ratios, epochs, finetuneEpochs });
  const written: Written = {
    stages: [],
    prunes: {},
    histories: {},
    pruneGammas: [],
    pruneAccuracy: 0,
  };
  const rng = createRng(seed, 1);
  await Deno.mkdir(dir, { recursive: true });
  for (const [index, stage] of plan.entries()) {
    const skip = omit.has(stage.dir);
    let seconds = 0;
    if (stage.kind === "train") {
      const isPruned = stage.value === pruneLambda;
      seconds = await sparsityStage(dir, stage, index, { settings, rng, written, skip, isPruned });
    } else if (stage.kind === "finetune") {
      seconds = await finetuneStage(dir, stage, { settings, rng, written, skip });
    } else if (!skip) {
      const { pruneGammas, pruneAccuracy } = written;
      const summary = fixturePrune(
        cfg,
        pruneGammas,
        stage.value,
        settings.minChannels,
        pruneAccuracy,
        stage.dir,
      );
      await Deno.mkdir(join(dir, stage.dir), { recursive: true });
      await writePruneSummary(join(dir, stage.dir), summary);
      written.prunes[stage.dir] = summary;
      seconds = PRUNE_SECONDS;
    }
    written.stages.push(
      skip ? pendingStage(stage) : { ...pendingStage(stage), status: "done", seconds },
    );
  }
  const { stages, prunes, histories } = written;

  const largest = Math.max(...ratios);
  const summary: LabSummary = {
    profile: options.profile ?? "fixture",
    scaledDown: options.scaledDown ?? [
      "VGG-19 at a quarter of the width (16 to 128 channels instead of 64 to 512)",
      "5,000 training images instead of 50,000; 1,000 test images",
      `${epochs} sparsity epochs instead of 160; ${finetuneEpochs} fine-tune epochs instead of 160`,
    ],
    cfg,
    depth: 19,
    width: 0.25,
    lambdas,
    pruneLambda,
    ratios,
    seed,
    backend: "cpu",
    dataSource: "synthetic fixture",
    subset: 5000,
    epochs,
    finetuneEpochs,
    batchSize: 64,
    stages,
    events: options.events ?? [
      {
        stage: stageDir("prune", largest),
        kind: "guard",
        message: "min-channels guard fired on the last conv block",
      },
      {
        stage: stageDir("prune", largest),
        kind: "collapse",
        message: "slim model at chance accuracy before fine-tuning; continuing to fine-tune",
      },
    ],
    startedAt: "2026-01-02T03:04:05.000Z",
    finishedAt: "2026-01-02T05:06:07.000Z",
  };
  await writeLabSummary(dir, summary);
  return { dir, summary, prunes, histories };
}
