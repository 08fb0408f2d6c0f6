/**
 * The synthetic lab's stages, written like the lab writes them: run-format's records and
 * writers, slimming's pruning decision, with the invented inputs of `synthetic_inputs.ts`.
 *
 * @module
 */
import { join } from "node:path";
import { createRng, type Rng } from "@slimming/tensor-utils/core";
import {
  type CfgItem,
  type EpochRecord,
  type LabStage,
  type PlannedStage,
  type PruneSummary,
  pruneSummary,
  type RunConfig,
  type SweepSummary,
  writeHistory,
  writeRunConfig,
  writeSweepSummary,
} from "@slimming/run-format";
import { type CfgCounts, planPrune } from "@slimming/slimming/core";
import { archInfo, DEFAULT_ARCH } from "@slimming/architectures/info";
import {
  checkpoint,
  FIXTURE_IMAGES_PER_SECOND,
  FIXTURE_RECALIBRATION_IMAGES,
  fixturePruneAccuracy,
  fixtureSweepAccuracy,
  history,
  layerGammas,
} from "./synthetic_inputs.ts";

/** The default architecture's counts of a flat cfg: the synthetic lab's models are its. */
export const FIXTURE_COUNTS: CfgCounts = {
  params: (cfg, numClasses) =>
    archInfo(DEFAULT_ARCH).countParams({ arch: DEFAULT_ARCH, cfg: [...cfg] }, numClasses),
  flops: (cfg, numClasses) =>
    archInfo(DEFAULT_ARCH).countFlops({ arch: DEFAULT_ARCH, cfg: [...cfg] }, numClasses),
};

/** prune.json of pruning the model of `gammas` at `ratio`: slimming's decision and counts. */
export function fixturePrune(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  ratio: number,
  minChannels: number,
  testAccBefore: number,
  dir: string,
): PruneSummary {
  const abs = gammas.map((g) => g.map(Math.abs));
  const report = planPrune(cfg, abs, ratio, { minChannels, counts: FIXTURE_COUNTS });
  const accuracy = fixturePruneAccuracy(ratio, testAccBefore);
  return pruneSummary(report, {
    ratio,
    minChannels,
    testAccBefore,
    maskedTestAcc: accuracy.masked,
    slimTestAcc: accuracy.slim,
    recalibratedTestAcc: accuracy.recalibrated,
    recalibrationImages: FIXTURE_RECALIBRATION_IMAGES,
    imagesPerSecondBefore: FIXTURE_IMAGES_PER_SECOND,
    // Fixture input: a speed-up that grows with the FLOPs saved.
    imagesPerSecondAfter: FIXTURE_IMAGES_PER_SECOND *
      (report.flopsBefore / report.flopsAfter) ** 0.6,
    checkpoint: `${dir}/pruned.safetensors`,
  });
}

/** The fixture's settings, defaults filled in. */
export interface Settings {
  readonly cfg: CfgItem[];
  readonly minChannels: number;
  readonly seed: number;
  readonly convWeights: boolean;
  readonly lambdaCount: number;
}

/** What the stages written so far leave for the next ones. */
export interface Written {
  readonly stages: LabStage[];
  readonly prunes: Record<string, PruneSummary>;
  readonly histories: Record<string, EpochRecord[]>;
  /** γ and final test accuracy of the model the prunes start from. */
  pruneGammas: Float32Array[];
  pruneAccuracy: number;
  /** γ and final test accuracy of every sparsity-trained model, by its λ's index. */
  readonly models: { gammas: Float32Array[]; accuracy: number }[];
  /** sweep.json contents by stage folder. */
  readonly sweeps: Record<string, SweepSummary>;
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
export const PRUNE_SECONDS = 4.2;

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
export async function sparsityStage(
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
  written.models[index] = { gammas, accuracy: records.at(-1)!.testAcc };
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
export async function finetuneStage(
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

/** Fixture input: seconds a sweep took. */
export const SWEEP_SECONDS = 17.5;

/**
 * A sweep of the `index`-th λ's model: slimming's decision and counts at each ratio, the
 * invented accuracies of {@linkcode fixtureSweepAccuracy}; resolves with its seconds.
 */
export async function sweepStage(
  dir: string,
  stage: PlannedStage,
  index: number,
  plan: { settings: Settings; written: Written; ratios: readonly number[]; skip: boolean },
): Promise<number> {
  const { settings, written } = plan;
  const model = written.models[index];
  const abs = model.gammas.map((g) => g.map(Math.abs));
  const reports = plan.ratios.map((ratio) =>
    planPrune(settings.cfg, abs, ratio, {
      minChannels: settings.minChannels,
      counts: FIXTURE_COUNTS,
    })
  );
  const summary: SweepSummary = {
    checkpoint: stage.source ?? "",
    layerNames: reports[0].channelsBefore.map((_, i) => `conv${i + 1}`),
    channelsBefore: [...reports[0].channelsBefore],
    minChannels: settings.minChannels,
    roundTo: 1,
    recalibrationImages: FIXTURE_RECALIBRATION_IMAGES,
    recalibrationAugmented: true,
    testImages: 1000,
    paramsBefore: reports[0].paramsBefore,
    flopsBefore: reports[0].flopsBefore,
    testAccBefore: model.accuracy,
    imagesPerSecondBefore: FIXTURE_IMAGES_PER_SECOND,
    points: reports.map((report, i) => {
      const accuracy = fixtureSweepAccuracy(
        plan.ratios[i],
        model.accuracy,
        index,
        settings.lambdaCount,
      );
      return {
        ratio: plan.ratios[i],
        threshold: report.threshold,
        kept: [...report.kept],
        guardedLayers: [...report.guardedLayers],
        paramsAfter: report.paramsAfter,
        flopsAfter: report.flopsAfter,
        slimTestAcc: accuracy.slim,
        recalibratedTestAcc: accuracy.recalibrated,
        imagesPerSecond: FIXTURE_IMAGES_PER_SECOND *
          (report.flopsBefore / report.flopsAfter) ** 0.6,
      };
    }),
    seconds: SWEEP_SECONDS,
  };
  if (plan.skip) return 0;
  await Deno.mkdir(join(dir, stage.dir), { recursive: true });
  await writeSweepSummary(join(dir, stage.dir), summary);
  written.sweeps[stage.dir] = summary;
  return SWEEP_SECONDS;
}
