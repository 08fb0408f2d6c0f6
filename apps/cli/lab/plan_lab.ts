/**
 * The lab's scale for its time budget: measured and planned before the first stage, or the
 * plan an earlier run of the lab recorded in lab.json (a continued lab keeps its plan, so it
 * stays deterministic given the plan).
 *
 * @module
 */
import {
  isRefusal,
  type LabSummary,
  planFinetunes,
  type PlannedStage,
  planScale,
  planWords,
  type ScalePlan,
  type ScaleRequest,
} from "@slimming/run-format";
import { loadModel } from "@slimming/train";
import { UsageError } from "@slimming/tensor-utils/core";
import type { LabContext } from "./context.ts";
import { measureSpeed } from "./measure.ts";
import type { LabOptions } from "./options.ts";

/** The lab's options with `plan` applied: its epochs, images an epoch and λ. */
export function withPlan(options: LabOptions, plan: ScalePlan, trainImages: number): LabOptions {
  const pruneIndex = options.lambdas.indexOf(options.pruneLambda);
  const finetuneImages = plan.finetune?.imagesPerEpoch ?? plan.finetuneImagesPerEpoch;
  return {
    ...options,
    epochs: plan.epochs,
    finetuneEpochs: plan.finetune?.epochs ?? plan.finetuneEpochs,
    lambdas: [...plan.lambdas],
    pruneLambda: plan.lambdas[pruneIndex],
    imagesPerEpoch: plan.imagesPerEpoch < trainImages ? plan.imagesPerEpoch : undefined,
    finetuneImagesPerEpoch: finetuneImages < trainImages ? finetuneImages : undefined,
    plan,
  };
}

/** What the planner is asked for: the lab's scale and recipe as given. */
export function scaleRequest(ctx: LabContext): ScaleRequest | undefined {
  const { options, data } = ctx;
  if (options.scale === undefined) return undefined;
  return {
    lambdas: options.lambdas,
    ratios: options.ratios,
    epochs: options.epochs,
    finetuneEpochs: options.finetuneEpochs,
    batchSize: options.batchSize,
    trainImages: data.train.count,
    testImages: data.test.count,
    recipe: options.recipe,
    policy: options.scale,
    ...(options.sweep === undefined ? {} : {
      sweep: {
        ratios: options.sweep.ratios,
        testImages: Math.min(options.sweep.testImages ?? data.test.count, data.test.count),
      },
    }),
  };
}

/**
 * The options the lab runs with: continuing a lab, with the plan it recorded (a lab started
 * without one keeps its scale); without a budget, a policy or `--plan`, as given; else
 * measured and planned, or a UsageError, before any stage, when the budget cannot hold a
 * meaningful lab (it names the time it would need).
 */
export async function planLab(
  ctx: LabContext,
  previous: LabSummary | undefined,
  elapsedSeconds: number,
): Promise<LabOptions> {
  const { options, log } = ctx;
  const request = scaleRequest(ctx);
  if (request === undefined) return options;
  if (previous?.plan) {
    log(`plan (recorded in lab.json, kept): ${planWords(previous.plan)}`);
    return withPlan(options, previous.plan, request.trainImages);
  }
  if (options.timeBudget === undefined || !options.planScale) return options;
  if (previous && previous.stages.some((s) => s.status !== "pending")) {
    log("this lab was started without a plan: it continues at the scale it started with");
    return options;
  }
  log("measuring this machine's training and evaluation speed (not counted as training) ...");
  const measured = await measureSpeed(ctx);
  const answer = planScale(measured, options.timeBudget, elapsedSeconds, request);
  if (isRefusal(answer)) {
    throw new UsageError(
      `${answer.reason}: give it --time-budget ${answer.neededSeconds} (or --time-budget 0 ` +
        `for the profile as written)`,
    );
  }
  log(`plan: ${answer.reason}`);
  return withPlan(options, answer, request.trainImages);
}

/** Seconds of timed steps when measuring a pruned model (they are faster and steadier). */
const PRUNED_MEASURE_SECONDS = 3;

/**
 * The options with the fine-tunes planned again, now that the pruned models exist: each
 * model's speed measured, the fine-tunes' images an epoch sized to the `secondsLeft` of the
 * budget (`planFinetunes`), recorded in the plan. Unchanged without a plan, or when the plan
 * already has its fine-tunes (a continued lab).
 */
export async function replanFinetunes(
  ctx: LabContext,
  finetunes: readonly PlannedStage[],
  secondsLeft: number,
): Promise<LabOptions> {
  const { options, data, log } = ctx;
  const plan = options.plan;
  if (plan === undefined || plan.finetune !== undefined || finetunes.length === 0) return options;
  log("measuring the pruned models' training speed ...");
  const measured = [];
  for (const stage of finetunes) {
    const { params } = await loadModel(`${options.out}/${stage.source}`);
    measured.push(await measureSpeed(ctx, params, PRUNED_MEASURE_SECONDS));
  }
  const finetune = planFinetunes(measured, secondsLeft, {
    finetuneEpochs: plan.finetuneEpochs,
    batchSize: options.batchSize,
    trainImages: data.train.count,
    testImages: data.test.count,
    plannedImagesPerEpoch: plan.finetuneImagesPerEpoch,
    budgetSeconds: plan.budgetSeconds,
    ...(options.scale?.maxFinetuneEpochs === undefined
      ? {}
      : { maxEpochs: options.scale.maxFinetuneEpochs }),
  });
  log(`plan: ${finetune.reason}`);
  return withPlan(options, { ...plan, finetune }, data.train.count);
}
