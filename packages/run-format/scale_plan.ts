/**
 * Planning a lab's scale from the machine's measured speed: a pure function (measured speeds,
 * time budget, profile) → plan. The plan sizes every stage so that the whole lab fits its
 * budget with a margin and every learning-rate schedule runs to its end; the knobs give way
 * in the order the profile writes down, each down to its floor. λ keeps its effect: the
 * profile's λ are stated at its own schedule, and the plan scales each so that λ·Σlr (how far
 * the L1 term can move |γ| over a run) stays what the profile's schedule gives.
 *
 * @module
 */
import { lrSum, scheduleOf } from "./lr_schedule.ts";
import type { TrainingRecipe } from "./records.ts";

/** A knob of the lab's scale. */
export type ScaleKnob = "images" | "epochs" | "finetune";

/** How a profile's scale gives way to a budget (written in the profile). */
export interface ScalePolicy {
  /** The knobs in the order they give way, each to its floor before the next moves. */
  readonly order: readonly ScaleKnob[];
  /** Fewest training images an epoch of a sparsity training. */
  readonly minImagesPerEpoch: number;
  /** Fewest epochs of a sparsity training. */
  readonly minEpochs: number;
  /** Fewest training images an epoch of a fine-tune. */
  readonly minFinetuneImagesPerEpoch: number;
  /**
   * Most epochs a fine-tune grows to when, planned again after the prunes, every training
   * image fits with time to spare (absent: the profile's epochs).
   */
  readonly maxFinetuneEpochs?: number;
}

/** What the lab measured before its first stage, on this model, backend and machine. */
export interface MeasuredSpeed {
  /** Training images/s of the sparsity-trained model (augmented batches, SGD step). */
  readonly trainImagesPerSecond: number;
  /** Evaluation images/s of the same model. */
  readonly evalImagesPerSecond: number;
  /** The backend it ran on, as the lab names it. */
  readonly backend: string;
}

/** The profile's scale and recipe, as the lab would run them without a budget. */
export interface ScaleRequest {
  readonly lambdas: readonly number[];
  readonly ratios: readonly number[];
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  /** Training images the lab draws from (the data set's, or its subset's). */
  readonly trainImages: number;
  /** Test images each evaluation runs on. */
  readonly testImages: number;
  readonly recipe: TrainingRecipe;
  readonly policy: ScalePolicy;
  /** The pruning sweep of every λ's model, when the lab runs one. */
  readonly sweep?: SweepRequest;
}

/** What a lab's pruning sweeps evaluate: per λ, every ratio on `testImages` test images. */
export interface SweepRequest {
  readonly ratios: readonly number[];
  readonly testImages: number;
}

/** The plan: what the lab runs, why, and what it expects it to take. */
export interface ScalePlan {
  readonly measured: MeasuredSpeed;
  /** The budget (seconds) and what had gone before planning (start-up, data, measuring). */
  readonly budgetSeconds: number;
  readonly elapsedSeconds: number;
  /** Sparsity trainings: images an epoch (a seeded draw afresh each epoch) and epochs. */
  readonly imagesPerEpoch: number;
  readonly epochs: number;
  /** Fine-tunes: images an epoch and epochs. */
  readonly finetuneImagesPerEpoch: number;
  readonly finetuneEpochs: number;
  /** The profile's λ, stated at its own schedule. */
  readonly profileLambdas: number[];
  /** λ of each sparsity training, computed from the plan (3 significant digits). */
  readonly lambdas: number[];
  /** λ·Σlr the profile asks for (its λ times its schedule's Σlr), per λ. */
  readonly sparsityStrengths: number[];
  /** λ·Σlr of the planned runs (the rounding of λ aside, the same). */
  readonly plannedStrengths: number[];
  /** Σlr of a sparsity training of the profile and of the plan. */
  readonly profileLrSum: number;
  readonly lrSum: number;
  /** The knobs that gave way, in order (empty: the profile as written). */
  readonly gaveWay: ScaleKnob[];
  /** Estimated seconds of each sparsity training, prune and fine-tune, and of the whole lab. */
  readonly estimate: PlanEstimate;
  /** One sentence: what was measured and planned, and why. */
  readonly reason: string;
  /**
   * The fine-tunes planned again after the prunes, from the pruned models' measured speeds
   * (absent until then): they replace `finetuneImagesPerEpoch` and the fine-tunes' estimate.
   */
  readonly finetune?: FinetunePlan;
}

/** The fine-tunes' plan, made once the pruned models exist and their speed is measured. */
export interface FinetunePlan {
  /** Measured speeds of each pruned model, in ratio order. */
  readonly measured: MeasuredSpeed[];
  /** Seconds of the budget left for the fine-tunes and the report when it was planned. */
  readonly secondsLeft: number;
  readonly imagesPerEpoch: number;
  /**
   * Epochs of each fine-tune: the plan's, or more when every image fitted with time to spare
   * (absent in labs planned before fine-tunes could grow: the plan's).
   */
  readonly epochs?: number;
  /** Estimated seconds of each fine-tune. */
  readonly estimate: number[];
  readonly reason: string;
}

/** Estimated seconds of the lab's parts. */
export interface PlanEstimate {
  readonly train: number;
  readonly prune: number;
  /** One sweep (per λ; 0 without sweeps). */
  readonly sweep?: number;
  /** One per ratio. */
  readonly finetune: number[];
  /**
   * The fine-tunes at the policy's floor of images an epoch: what a late sparsity training may
   * leave them (they give way first, and are planned again after the prunes).
   */
  readonly finetuneFloor?: number[];
  /** The report and bookkeeping after the last stage. */
  readonly report: number;
  /** Everything, from the lab's start (elapsed included). */
  readonly total: number;
}

/** The answer when not even the floors fit. */
export interface ScaleRefusal {
  readonly refused: true;
  readonly measured: MeasuredSpeed;
  /** Seconds the smallest meaningful lab would take on this machine. */
  readonly neededSeconds: number;
  readonly budgetSeconds: number;
  readonly reason: string;
}

/** Share of the budget the plan leaves unused, for the noise of a shared machine. */
export const PLAN_MARGIN = 0.08;

/** Seconds the report and the bookkeeping after the last stage take (measured: 10-20 s). */
export const REPORT_SECONDS = 25;

/**
 * How much faster a fine-tune of a model pruned at `ratio` trains than the full model, kept on
 * the low side: measured per epoch (evaluation included) on VGG-19 x0.25, 1.34x at 50% and
 * 1.7x at 90% on an AVX-512 machine, more where the kernels are slower per FLOP.
 */
export function finetuneSpeedup(ratio: number): number {
  return 1 / (1 - 0.45 * ratio);
}

/** Seconds a sweep's inference-speed measurement takes per model (three 256-image rounds). */
const SWEEP_SPEED_SECONDS = 0.5;

/**
 * Estimated seconds of one λ's sweep: the unpruned model evaluated, then at each ratio the slim
 * model evaluated, its BN statistics re-estimated (a training-mode pass, about two
 * evaluations' cost an image) and evaluated again, each at the pruned model's speed-up.
 */
export function sweepSeconds(
  request: Pick<ScaleRequest, "sweep" | "recipe">,
  evalRate: number,
): number {
  const sweep = request.sweep;
  if (sweep === undefined) return 0;
  const perPoint = (ratio: number) =>
    (2 * sweep.testImages + 2 * request.recipe.recalibrate) / (evalRate * finetuneSpeedup(ratio)) +
    SWEEP_SPEED_SECONDS;
  return sweep.testImages / evalRate + SWEEP_SPEED_SECONDS +
    sweep.ratios.reduce((a, r) => a + perPoint(r), 0);
}

interface Scale {
  imagesPerEpoch: number;
  epochs: number;
  finetuneImagesPerEpoch: number;
}

function estimateOf(
  scale: Scale,
  request: ScaleRequest,
  measured: MeasuredSpeed,
  elapsed: number,
): PlanEstimate {
  const { trainImagesPerSecond: trainRate, evalImagesPerSecond: evalRate } = measured;
  const evalSeconds = request.testImages / evalRate;
  const finetuneAt = (images: number) =>
    request.ratios.map((ratio) => {
      const speedup = finetuneSpeedup(ratio);
      return request.finetuneEpochs *
        (images / (trainRate * speedup) + evalSeconds / speedup);
    });
  const trainStage = scale.epochs * (scale.imagesPerEpoch / trainRate + evalSeconds);
  // A prune evaluates the full, masked, slim and recalibrated models and times inference.
  const pruneStage = (4 * request.testImages + request.recipe.recalibrate) / evalRate + 3;
  const sweepStage = sweepSeconds(request, evalRate);
  const finetune = finetuneAt(scale.finetuneImagesPerEpoch);
  const floor = Math.min(scale.finetuneImagesPerEpoch, request.policy.minFinetuneImagesPerEpoch);
  const total = elapsed + request.lambdas.length * (trainStage + sweepStage) +
    request.ratios.length * pruneStage + finetune.reduce((a, b) => a + b, 0) + REPORT_SECONDS;
  return {
    train: trainStage,
    sweep: sweepStage,
    prune: pruneStage,
    finetune,
    finetuneFloor: finetuneAt(floor),
    report: REPORT_SECONDS,
    total,
  };
}

function roundImages(images: number, batchSize: number): number {
  // Whole batches, in steps of 1,000 images above 5,000 so the plan reads as round numbers.
  const step = images >= 5000 ? Math.max(1000, batchSize) : batchSize;
  return Math.max(batchSize, Math.floor(images / step) * step);
}

/** 3 significant digits. */
function round3(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(3));
}

function knobRange(knob: ScaleKnob, request: ScaleRequest): [number, number] {
  const { policy, trainImages, epochs } = request;
  if (knob === "images") return [Math.min(policy.minImagesPerEpoch, trainImages), trainImages];
  if (knob === "epochs") return [Math.min(policy.minEpochs, epochs), epochs];
  return [Math.min(policy.minFinetuneImagesPerEpoch, trainImages), trainImages];
}

function withKnob(scale: Scale, knob: ScaleKnob, value: number, batchSize: number): Scale {
  if (knob === "images") return { ...scale, imagesPerEpoch: roundImages(value, batchSize) };
  if (knob === "epochs") return { ...scale, epochs: Math.floor(value) };
  return { ...scale, finetuneImagesPerEpoch: roundImages(value, batchSize) };
}

/** The largest value of `knob` in [low, high] for which `fits` holds (fits(low) holds). */
function largestFitting(
  scale: Scale,
  knob: ScaleKnob,
  [low, high]: [number, number],
  batchSize: number,
  fits: (s: Scale) => boolean,
): Scale {
  let best = withKnob(scale, knob, low, batchSize);
  let lo = low;
  let hi = high;
  for (let i = 0; i < 40 && hi - lo > (knob === "epochs" ? 0.5 : 1); i++) {
    const mid = (lo + hi) / 2;
    const candidate = withKnob(scale, knob, mid, batchSize);
    if (fits(candidate)) {
      best = candidate;
      lo = mid;
    } else hi = mid;
  }
  const top = withKnob(scale, knob, high, batchSize);
  return fits(top) ? top : best;
}

function formatClock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const thousands = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * The lab's plan for `budgetSeconds` (from the lab's start; `elapsedSeconds` of it gone) on a
 * machine that measured `measured`: the profile as written when it fits with the margin, else
 * the knobs given way in the policy's order; a refusal when not even every floor fits.
 */
export function planScale(
  measured: MeasuredSpeed,
  budgetSeconds: number,
  elapsedSeconds: number,
  request: ScaleRequest,
): ScalePlan | ScaleRefusal {
  const usable = budgetSeconds * (1 - PLAN_MARGIN);
  const fits = (s: Scale) => estimateOf(s, request, measured, elapsedSeconds).total <= usable;
  let scale: Scale = {
    imagesPerEpoch: request.trainImages,
    epochs: request.epochs,
    finetuneImagesPerEpoch: request.trainImages,
  };
  const gaveWay: ScaleKnob[] = [];
  for (const knob of request.policy.order) {
    if (fits(scale)) break;
    gaveWay.push(knob);
    const range = knobRange(knob, request);
    const floor = withKnob(scale, knob, range[0], request.batchSize);
    scale = fits(floor) ? largestFitting(scale, knob, range, request.batchSize, fits) : floor;
  }
  // Whole epochs leave time over: the knobs that gave way before the last one take it back,
  // the last first.
  for (const knob of gaveWay.slice(0, -1).reverse()) {
    if (fits(scale)) {
      scale = largestFitting(scale, knob, knobRange(knob, request), request.batchSize, fits);
    }
  }
  const estimate = estimateOf(scale, request, measured, elapsedSeconds);
  const speeds = `measured ${thousands(measured.trainImagesPerSecond)} img/s training and ` +
    `${thousands(measured.evalImagesPerSecond)} img/s evaluation (${measured.backend})`;
  if (!fits(scale)) {
    const needed = Math.ceil(estimate.total / (1 - PLAN_MARGIN));
    return {
      refused: true,
      measured,
      neededSeconds: needed,
      budgetSeconds,
      reason: `${speeds}: the smallest meaningful lab (${thousands(scale.imagesPerEpoch)} ` +
        `images an epoch, ${scale.epochs} epochs) needs about ${formatClock(needed)}, over the ` +
        `${formatClock(budgetSeconds)} budget`,
    };
  }
  const batchesOf = (images: number) => Math.ceil(images / request.batchSize);
  const schedule = scheduleOf({
    lr: request.recipe.lr,
    schedule: request.recipe.schedule,
    warmup: request.recipe.warmup,
  });
  const profileLrSum = lrSum(schedule, request.epochs, batchesOf(request.trainImages));
  const planLrSum = lrSum(schedule, scale.epochs, batchesOf(scale.imagesPerEpoch));
  const asWritten = gaveWay.length === 0;
  const lambdas = request.lambdas.map((l) => asWritten ? l : round3(l * profileLrSum / planLrSum));
  const sizes = asWritten
    ? `the profile as written fits (${thousands(scale.imagesPerEpoch)} images an epoch, ` +
      `${scale.epochs} epochs)`
    : `${
      scale.imagesPerEpoch < request.trainImages
        ? `${thousands(scale.imagesPerEpoch)} of ${thousands(request.trainImages)}`
        : `all ${thousands(request.trainImages)}`
    } images an epoch for ${scale.epochs} epochs, fine-tunes on ${
      thousands(scale.finetuneImagesPerEpoch)
    } ` +
      `images an epoch, λ scaled to keep λ·Σlr`;
  return {
    measured,
    budgetSeconds,
    elapsedSeconds,
    imagesPerEpoch: scale.imagesPerEpoch,
    epochs: scale.epochs,
    finetuneImagesPerEpoch: scale.finetuneImagesPerEpoch,
    finetuneEpochs: request.finetuneEpochs,
    profileLambdas: [...request.lambdas],
    lambdas,
    sparsityStrengths: request.lambdas.map((l) => l * profileLrSum),
    plannedStrengths: lambdas.map((l) => l * planLrSum),
    profileLrSum,
    lrSum: planLrSum,
    gaveWay,
    estimate,
    reason: `${speeds}: ${sizes}; estimated ${formatClock(estimate.total)} of the ` +
      `${formatClock(budgetSeconds)} budget`,
  };
}

/** Whether `answer` is a refusal. */
export function isRefusal(answer: ScalePlan | ScaleRefusal): answer is ScaleRefusal {
  return "refused" in answer;
}

/** What the fine-tunes' plan is made from. */
export interface FinetuneRequest {
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly trainImages: number;
  readonly testImages: number;
  /** The fine-tunes' images an epoch in the plan made before the prunes (named in the reason). */
  readonly plannedImagesPerEpoch: number;
  /** The lab's whole budget: its margin, in seconds, is kept to the end. */
  readonly budgetSeconds: number;
  /** The most epochs a fine-tune may grow to when every image fits (default: no growth). */
  readonly maxEpochs?: number;
}

/**
 * The fine-tunes' images an epoch once the pruned models' speeds are measured: the most (up to
 * every training image) that lets all fine-tunes and the report end within `secondsLeft` less
 * the lab's margin (its share of the whole budget, in seconds: a margin taken of what is left
 * would shrink to seconds just when a slowed machine has used the rest); at least one batch.
 * When every training image fits and the request allows more epochs (`maxEpochs`), the
 * fine-tunes take the time left in whole epochs: a sparsity stage that ran faster than its
 * plan leaves time the fine-tunes can use.
 */
export function planFinetunes(
  measured: readonly MeasuredSpeed[],
  secondsLeft: number,
  request: FinetuneRequest,
): FinetunePlan {
  const usable = secondsLeft - PLAN_MARGIN * request.budgetSeconds - REPORT_SECONDS;
  const estimate = (images: number, epochs = request.finetuneEpochs) =>
    measured.map((m) =>
      epochs * (images / m.trainImagesPerSecond + request.testImages / m.evalImagesPerSecond)
    );
  const total = (images: number, epochs = request.finetuneEpochs) =>
    estimate(images, epochs).reduce((a, b) => a + b, 0);
  const perImage = measured.reduce(
    (a, m) => a + request.finetuneEpochs / m.trainImagesPerSecond,
    0,
  );
  const fixed = total(0);
  const fitting = perImage > 0 ? (usable - fixed) / perImage : request.trainImages;
  const images = Math.min(
    request.trainImages,
    roundImages(Math.max(request.batchSize, fitting), request.batchSize),
  );
  let epochs = request.finetuneEpochs;
  if (images === request.trainImages) {
    while (
      epochs < (request.maxEpochs ?? request.finetuneEpochs) && total(images, epochs + 1) <= usable
    ) epochs++;
  }
  const speeds = measured.map((m) => thousands(m.trainImagesPerSecond)).join(" and ");
  const grown = epochs > request.finetuneEpochs
    ? ` for ${epochs} epochs, not ${request.finetuneEpochs}, as every image fitted`
    : "";
  return {
    measured: [...measured],
    secondsLeft,
    imagesPerEpoch: images,
    epochs,
    estimate: estimate(images, epochs),
    reason: `the pruned models trained at ${speeds} img/s: fine-tunes on ` +
      `${thousands(images)} images an epoch${grown} (planned before the prunes: ` +
      `${thousands(request.plannedImagesPerEpoch)} images), estimated ${
        formatClock(total(images, epochs))
      } of the ${formatClock(secondsLeft)} left`,
  };
}

/** What a plan did, in words: its reason, and the fine-tunes' when they were planned again. */
export function planWords(plan: Pick<ScalePlan, "reason" | "finetune">): string {
  return plan.finetune ? `${plan.reason}; after the prunes, ${plan.finetune.reason}` : plan.reason;
}
