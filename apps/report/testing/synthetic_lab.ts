/**
 * A small synthetic lab folder for tests and examples: lab.json, per-stage config.json,
 * history.json, prune.json and last.safetensors checkpoints (PyTorch reference names).
 * The |γ| of each λ come from a different distribution — the larger λ, the more of them
 * near zero, and the last conv block nearly all-zero for the largest λ so that the
 * min-channels guard fires at a 90% prune.
 *
 * Built by the real code: the stages and folders are run-format's `labPlan`, the threshold,
 * guard, kept channels, params and FLOPs of each prune are slimming's `planPrune` on those γ
 * (the architecture's counts), and every file is written by run-format's writers. Only the fixture's
 * inputs are invented: the γ, the training curves, the accuracies of the pruned models
 * ({@linkcode fixturePruneAccuracy}) and the speeds.
 *
 * @module
 */
import { join } from "node:path";
import { createRng } from "@slimming/tensor-utils/core";
import {
  type CfgItem,
  type EpochRecord,
  type LabEvent,
  labPlan,
  type LabStage,
  type LabSummary,
  pendingStage,
  type PruneSummary,
  type RunDataset,
  stageDir,
  type SweepSummary,
  type TrainingRecipe,
  writeLabSummary,
  writePruneSummary,
} from "@slimming/run-format";
import { archInfo, DEFAULT_ARCH } from "@slimming/architectures/info";
import {
  finetuneStage,
  fixturePrune,
  PRUNE_SECONDS,
  type Settings,
  sparsityStage,
  sweepStage,
  type Written,
} from "./synthetic_stages.ts";

export { FIXTURE_IMAGES_PER_SECOND, fixturePruneAccuracy } from "./synthetic_inputs.ts";
import { FIXTURE_RECALIBRATION_IMAGES } from "./synthetic_inputs.ts";

/** VGG-19 for CIFAR at a quarter of the width: 16 convs, small checkpoints. */
export const QUARTER_VGG19: CfgItem[] =
  archInfo(DEFAULT_ARCH).specFor({ depth: 19, width: 0.25 }).cfg;

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
  /** The data set lab.json records (default: none, as older labs; the report reads CIFAR-10). */
  readonly dataset?: RunDataset;
  /** Ratios every λ's model is swept over (default: no sweep, as older labs). */
  readonly sweepRatios?: number[];
}

/** What was written, for tests to compare against. */
export interface SyntheticLab {
  readonly dir: string;
  readonly summary: LabSummary;
  /** prune.json contents by stage folder. */
  readonly prunes: Record<string, PruneSummary>;
  /** history.json contents by stage folder. */
  readonly histories: Record<string, EpochRecord[]>;
  /** sweep.json contents by stage folder. */
  readonly sweeps: Record<string, SweepSummary>;
}

/**
 * The fixture lab's recipe: the quick profile's kind (one-cycle, recalibration) with values of
 * its own, so a report that printed a profile's defaults instead of lab.json would be caught.
 */
export const FIXTURE_RECIPE: TrainingRecipe = {
  schedule: "onecycle",
  lr: 0.2,
  finetuneLr: 0.02,
  warmup: 0.3,
  momentum: 0.85,
  nesterov: true,
  weightDecay: 3e-4,
  labelSmoothing: 0.05,
  recalibrate: FIXTURE_RECALIBRATION_IMAGES,
};

/** lab.json of the fixture. */
function labSummaryOf(
  options: SyntheticLabOptions,
  { cfg, seed, minChannels }: Settings,
  { lambdas, ratios, epochs, finetuneEpochs, sweepRatios }: {
    lambdas: number[];
    ratios: number[];
    epochs: number;
    finetuneEpochs: number;
    sweepRatios?: number[];
  },
  stages: LabStage[],
): LabSummary {
  const pruneLambda = Math.max(...lambdas);
  const largest = Math.max(...ratios);
  return {
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
    ...(sweepRatios ? { sweep: { ratios: sweepRatios, testImages: 1000 } } : {}),
    seed,
    backend: "cpu",
    ...(options.dataset ? { dataset: options.dataset } : {}),
    dataSource: "synthetic fixture",
    subset: 5000,
    testSubset: 1000,
    minChannels,
    recipe: FIXTURE_RECIPE,
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
  const plan = labPlan({
    lambdas,
    pruneLambda,
    ratios,
    epochs,
    finetuneEpochs,
    recalibrate: FIXTURE_RECIPE.recalibrate,
    ...(options.sweepRatios ? { sweep: { ratios: options.sweepRatios } } : {}),
  });
  const written: Written = {
    stages: [],
    prunes: {},
    histories: {},
    pruneGammas: [],
    pruneAccuracy: 0,
    models: [],
    sweeps: {},
  };
  const rng = createRng(seed, 1);
  await Deno.mkdir(dir, { recursive: true });
  for (const [index, stage] of plan.entries()) {
    const skip = omit.has(stage.dir);
    let seconds = 0;
    if (stage.kind === "train") {
      const isPruned = stage.value === pruneLambda;
      seconds = await sparsityStage(dir, stage, index, { settings, rng, written, skip, isPruned });
    } else if (stage.kind === "sweep") {
      seconds = await sweepStage(dir, stage, lambdas.indexOf(stage.value), {
        settings,
        written,
        ratios: options.sweepRatios ?? [],
        skip,
      });
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
  const { stages, prunes, histories, sweeps } = written;

  const summary = labSummaryOf(
    options,
    settings,
    { lambdas, ratios, epochs, finetuneEpochs, sweepRatios: options.sweepRatios },
    stages,
  );
  await writeLabSummary(dir, summary);
  return { dir, summary, prunes, histories, sweeps };
}
