/**
 * The lab's training stages: a sparsity training (one λ) or a fine-tune (one ratio), resumed
 * when partly done, cut short by the time budget, and restarted with a tenth of the learning
 * rate (up to twice) when it diverges.
 *
 * @module
 */
import { DivergenceError } from "@slimming/tensor-utils";
import { type PlannedStage, readHistory, type RunConfig, scheduleOf } from "@slimming/run-format";
import { architecture } from "@slimming/architectures";
import { checkpointSpec, disposeState, loadModel, runTraining } from "@slimming/train";
import { runConfig, type TrainingSetup } from "../commands/training_options.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import { divergenceEvent, resumedEvent, timeBudgetEvent } from "./events.ts";
import type { LabOptions } from "./options.ts";

/** Restarts after a divergence, each with a tenth of the previous learning rate. */
const MAX_RESTARTS = 2;

/** The training setup of a lab stage: the lab's data and recipe, always resumable. */
export function stageSetup(
  options: LabOptions,
  out: string,
  epochs: number,
  lr: number,
  imagesPerEpoch?: number,
): TrainingSetup {
  const { recipe } = options;
  return {
    out,
    epochs,
    batchSize: options.batchSize,
    lr,
    schedule: scheduleOf({ lr, schedule: recipe.schedule, warmup: recipe.warmup }),
    labelSmoothing: recipe.labelSmoothing,
    nesterov: recipe.nesterov,
    momentum: recipe.momentum,
    weightDecay: recipe.weightDecay,
    seed: options.seed,
    subset: options.subset,
    ...(imagesPerEpoch === undefined ? {} : { imagesPerEpoch }),
    testSubset: options.testSubset,
    dataset: options.dataset,
    data: options.data,
    backend: options.backend,
    threads: options.threads,
    resume: true,
    quiet: options.quiet,
  };
}

async function trainOnce(
  ctx: LabContext,
  stage: PlannedStage,
  setup: TrainingSetup,
  config: RunConfig,
  maxSeconds: number | undefined,
): Promise<StageOutcome> {
  const checkpoint = config.checkpoint;
  const before = (await readHistory(setup.out))?.length ?? 0;
  const result = await runTraining({
    out: setup.out,
    config,
    data: ctx.data,
    resume: true,
    initial: async () =>
      checkpoint
        ? (await loadModel(checkpoint)).params
        : architecture(ctx.spec.arch).init(ctx.spec, {
          seed: ctx.options.seed,
          numClasses: ctx.data.spec.classCount,
        }),
    progress: ctx.progress,
    maxSeconds,
  });
  disposeState({ params: result.params, buffers: null });
  const alreadyDone = before >= stage.epochs;
  if (alreadyDone) ctx.log(`already done (${setup.out})`);
  else if (before > 0) ctx.events.push(resumedEvent(stage, before));
  const epochs = result.history.length;
  if (result.complete) return { status: "done", alreadyDone, epochs };
  const budget = ctx.options.timeBudget ?? 0;
  const annealed = result.history[epochs - 1]?.annealed === true;
  ctx.events.push(timeBudgetEvent(stage, epochs, budget, annealed));
  return { status: "stopped", alreadyDone, epochs };
}

/** Runs one training or fine-tune stage of the plan within `maxSeconds` (none: no limit). */
export async function runTrainingStage(
  ctx: LabContext,
  stage: PlannedStage,
  maxSeconds: number | undefined,
): Promise<StageOutcome> {
  const { options } = ctx;
  const isTrain = stage.kind === "train";
  const checkpoint = isTrain ? undefined : `${options.out}/${stage.source}`;
  const spec = checkpoint ? await checkpointSpec(checkpoint) : ctx.spec;
  const out = `${options.out}/${stage.dir}`;
  let lr = isTrain ? options.recipe.lr : options.recipe.finetuneLr;
  for (let attempt = 0;; attempt++) {
    const images = isTrain ? options.imagesPerEpoch : options.finetuneImagesPerEpoch;
    const setup = stageSetup(options, out, stage.epochs, lr, images);
    const config = runConfig(
      setup,
      {
        command: isTrain ? "train" : "finetune",
        spec,
        depth: options.depth,
        width: isTrain ? options.width : 1,
        lambda: isTrain ? stage.value : 0,
        checkpoint,
      },
      ctx.backend,
      ctx.data,
    );
    try {
      return await trainOnce(ctx, stage, setup, config, maxSeconds);
    } catch (error) {
      if (!(error instanceof DivergenceError) || attempt >= MAX_RESTARTS) throw error;
      const moved = `${out}.diverged-${attempt + 1}`;
      await Deno.rename(out, moved);
      ctx.events.push(divergenceEvent(stage, error.message, moved, lr / 10));
      lr /= 10;
    }
  }
}
