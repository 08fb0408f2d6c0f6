/**
 * The lab's command-line options and their resolution against a profile.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";
import {
  archChoices,
  archesWithOption,
  archInfo,
  type ArchName,
  DEFAULT_ARCH,
  depthChoices,
} from "@slimming/architectures/info";
import {
  booleanOption,
  numberOption,
  type OptionSpecs,
  type ParsedOptions,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { TRAINING_OPTIONS } from "../commands/training_options.ts";
import { SCHEDULES } from "@slimming/run-format";
import { DEFAULT_MIN_CHANNELS, JSON_OPTION } from "../closing.ts";
import type { ScalePlan, TrainingRecipe } from "@slimming/run-format";
import type { CifarSpec } from "@slimming/cifar";
import { datasetOption } from "../dataset.ts";
import { parseRatios } from "../sweep.ts";
import { LAB_PROFILES, type LabProfile, type LabSweep, profileForArch } from "./profiles.ts";

/** The options of `lab`. */
export const LAB_SPECS: OptionSpecs = {
  profile: { type: "string", value: "NAME", help: "quick, lab or paper", default: "quick" },
  arch: {
    type: "string",
    value: "NAME",
    help: `${archChoices()} (the profile's architecture, else ${DEFAULT_ARCH})`,
  },
  out: { type: "string", value: "DIR", help: "lab folder", default: "runs/lab" },
  dataset: TRAINING_OPTIONS.dataset,
  data: TRAINING_OPTIONS.data,
  lambdas: {
    type: "string",
    value: "LIST",
    help: "sparsity coefficients of the three runs (profile; quick: 0,1e-4,8e-4, else 0,1e-4,1e-3)",
  },
  "prune-lambda": {
    type: "string",
    value: "X",
    help: "which run to prune (default: the largest lambda)",
  },
  ratios: {
    type: "string",
    value: "LIST",
    help: "pruning ratios (profile; 0.5,0.9, the reference's 0.4,0.6 for ResNet and DenseNet)",
  },
  sweep: {
    type: "string",
    value: "LIST|none",
    help: "ratios each λ's model is swept over: a list or start:stop:step, or none (profile; " +
      "quick: 0.1:0.9:0.1)",
  },
  "sweep-test-images": {
    type: "string",
    value: "N",
    help: "test images a sweep evaluates on, class-balanced (profile; quick: 5000)",
  },
  "min-channels": {
    type: "string",
    value: "N",
    help: "fewest channels a pruned layer keeps (the same default as prune)",
    default: String(DEFAULT_MIN_CHANNELS),
  },
  depth: {
    type: "string",
    value: "N",
    help: `depth (profile; ${depthChoices({ defaults: false })})`,
  },
  "growth-rate": { type: "string", value: "N", help: "DenseNet growth rate (profile; 12)" },
  width: { type: "string", value: "X", help: "channel width multiplier (profile)" },
  epochs: { type: "string", value: "N", help: "sparsity-training epochs (profile)" },
  "finetune-epochs": { type: "string", value: "N", help: "fine-tuning epochs (profile)" },
  "batch-size": { type: "string", value: "N", help: "batch size (profile)" },
  subset: { type: "string", value: "N", help: "class-balanced training subset (profile)" },
  "test-subset": { type: "string", value: "N", help: "class-balanced test subset (profile)" },
  "time-budget": {
    type: "string",
    value: "SECONDS",
    help: "wall-time budget (profile; 0 = none: the profile as written)",
  },
  plan: {
    type: "string",
    value: "true|false",
    help: "with a budget, measure this machine's speed first and size the lab to fit (false: " +
      "the profile as written, stages stopped early when the budget runs out)",
    default: "true",
  },
  schedule: {
    ...TRAINING_OPTIONS.schedule,
    default: undefined,
    help: "step, cosine or onecycle (profile)",
  },
  lr: {
    ...TRAINING_OPTIONS.lr,
    default: undefined,
    help: "initial or peak learning rate (profile)",
  },
  "finetune-lr": { type: "string", value: "X", help: "fine-tuning learning rate (profile)" },
  warmup: {
    ...TRAINING_OPTIONS.warmup,
    default: undefined,
    help: "onecycle warm-up share (profile)",
  },
  "label-smoothing": {
    ...TRAINING_OPTIONS["label-smoothing"],
    default: undefined,
    help: "label smoothing (profile)",
  },
  nesterov: {
    ...TRAINING_OPTIONS.nesterov,
    default: undefined,
    help: "Nesterov momentum, true or false (profile)",
  },
  "weight-decay": {
    ...TRAINING_OPTIONS["weight-decay"],
    default: undefined,
    help: "weight decay (profile)",
  },
  recalibrate: {
    type: "string",
    value: "N",
    help: "training images re-estimating BN statistics after pruning; 0 = none (profile)",
  },
  "recalibrate-augment": {
    type: "string",
    value: "true|false",
    help: "augment the recalibration images as in training (profile)",
  },
  seed: TRAINING_OPTIONS.seed,
  backend: TRAINING_OPTIONS.backend,
  threads: TRAINING_OPTIONS.threads,
  quiet: TRAINING_OPTIONS.quiet,
  json: JSON_OPTION,
};

/** What `lab --help` says it does. */
export const LAB_SUMMARY: string =
  "Run the Network Slimming lab: sparsity training for three lambdas, prune at 50% and 90%,\n" +
  "fine-tune, and write <out>/report.pdf. Rerun the same command to continue a stopped lab.";

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
  /** The data set (`--dataset`). */
  readonly dataset: CifarSpec;
  readonly data?: string;
  readonly lambdas: number[];
  readonly pruneLambda: number;
  readonly ratios: number[];
  readonly minChannels: number;
  readonly seed: number;
  readonly backend: string;
  readonly threads?: number;
  readonly quiet: boolean;
  readonly json: boolean;
  /** Sparsity trainings' and fine-tunes' images an epoch (the plan's; undefined: all). */
  readonly imagesPerEpoch?: number;
  readonly finetuneImagesPerEpoch?: number;
  /** The plan the lab runs, when it planned for a budget. */
  readonly plan?: ScalePlan;
  /** Whether to measure and plan for the budget (`--plan`). */
  readonly planScale: boolean;
}

function profileOf(values: ParsedOptions): [string, LabProfile] {
  const profileName = requiredString(values, "profile");
  const profile = LAB_PROFILES[profileName];
  if (!profile) {
    throw new UsageError(
      `--profile must be one of ${Object.keys(LAB_PROFILES).join(", ")}, got "${profileName}"`,
    );
  }
  return [profileName, profile];
}

function lambdasOf(
  values: ParsedOptions,
  profile: LabProfile,
): { lambdas: number[]; pruneLambda: number } {
  const lambdas = values.lambdas === undefined
    ? [...profile.lambdas]
    : numberList(values, "lambdas", (v) => v >= 0);
  const pruneLambda = numberOption(values, "prune-lambda", { min: 0 }) ?? Math.max(...lambdas);
  if (!lambdas.includes(pruneLambda)) {
    throw new UsageError(
      `--prune-lambda ${pruneLambda} is not one of --lambdas ${lambdas.join(",")}`,
    );
  }
  return { lambdas, pruneLambda };
}

function depthOf(values: ParsedOptions, profile: LabProfile, arch: ArchName): number {
  const given = numberOption(values, "depth", { integer: true });
  const depth = given ??
    (arch === (profile.arch ?? DEFAULT_ARCH) ? profile.depth : archInfo(arch).defaultDepth);
  // Builds the spec only to validate the depth (a UsageError naming the valid ones).
  archInfo(arch).specFor({ depth, width: 1 });
  return depth;
}

/** The profile's scale with the command line's overrides (checked in the original order). */
function scaleOf(values: ParsedOptions, profile: LabProfile, depth: number): LabProfile {
  const int = (name: string, min: number) => numberOption(values, name, { integer: true, min });
  const budget = numberOption(values, "time-budget", { min: 0 }) ?? profile.timeBudget;
  return {
    ...profile,
    depth,
    width: numberOption(values, "width", { min: 0, minExclusive: true }) ?? profile.width,
    epochs: int("epochs", 1) ?? profile.epochs,
    finetuneEpochs: int("finetune-epochs", 1) ?? profile.finetuneEpochs,
    batchSize: int("batch-size", 1) ?? profile.batchSize,
    subset: int("subset", 10) ?? profile.subset,
    testSubset: int("test-subset", 10) ?? profile.testSubset,
    timeBudget: budget === 0 ? undefined : budget,
  };
}

/** `{ [key]: value }`, or nothing when the value is undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

/** The profile's recipe with the command line's overrides. */
function recipeOf(values: ParsedOptions, profile: LabProfile): TrainingRecipe {
  const base = profile.recipe;
  const rate = (name: string) => numberOption(values, name, { min: 0, minExclusive: true });
  const share = (name: string) =>
    numberOption(values, name, { min: 0, max: 1, maxExclusive: true });
  const schedule = stringOption(values, "schedule") ?? base.schedule;
  if (!(SCHEDULES as readonly string[]).includes(schedule)) {
    throw new UsageError(`--schedule must be one of ${SCHEDULES.join(", ")}, got "${schedule}"`);
  }
  const lr = rate("lr") ?? base.lr;
  const warmup = share("warmup") ?? base.warmup;
  return {
    schedule: schedule as TrainingRecipe["schedule"],
    lr,
    // An --lr override moves the fine-tunes' rate with it unless that is set too.
    finetuneLr: rate("finetune-lr") ?? (rate("lr") !== undefined ? lr : base.finetuneLr),
    ...(schedule === "onecycle" ? { warmup: warmup ?? 0.15 } : {}),
    momentum: base.momentum,
    nesterov: booleanOption(values, "nesterov") ?? base.nesterov,
    weightDecay: numberOption(values, "weight-decay", { min: 0 }) ?? base.weightDecay,
    labelSmoothing: share("label-smoothing") ?? base.labelSmoothing,
    recalibrate: numberOption(values, "recalibrate", { integer: true, min: 0 }) ?? base.recalibrate,
    ...optional(
      "recalibrateAugment",
      booleanOption(values, "recalibrate-augment") ?? base.recalibrateAugment,
    ),
  };
}

/** The profile's sweep with the command line's overrides (`--sweep none`: no sweep). */
function sweepOf(values: ParsedOptions, profile: LabProfile): LabSweep | undefined {
  const text = stringOption(values, "sweep");
  const testImages = numberOption(values, "sweep-test-images", { integer: true, min: 10 });
  if (text === "none") return undefined;
  const ratios = text === undefined ? profile.sweep?.ratios : parseRatios(text);
  if (ratios === undefined) return undefined;
  const images = testImages ?? profile.sweep?.testImages;
  return { ratios, ...(images === undefined ? {} : { testImages: images }) };
}

/** Validates the lab's options (UsageError on the first bad one). */
export function labOptions(values: ParsedOptions): LabOptions {
  const [profileName, baseProfile] = profileOf(values);
  const arch = archInfo(stringOption(values, "arch") ?? baseProfile.arch ?? DEFAULT_ARCH).name;
  const profile = profileForArch(baseProfile, arch);
  const depth = depthOf(values, profile, arch);
  const growthRate = numberOption(values, "growth-rate", { integer: true, min: 1 }) ??
    (archInfo(arch).options.growthRate ? profile.growthRate : undefined);
  if (growthRate !== undefined && !archInfo(arch).options.growthRate) {
    throw new UsageError(`--growth-rate is for --arch ${archesWithOption("growthRate")}`);
  }
  const { lambdas, pruneLambda } = lambdasOf(values, profile);
  const scale = scaleOf(values, profile, depth);
  return {
    ...scale,
    arch,
    ...(growthRate === undefined ? {} : { growthRate }),
    profileName,
    out: requiredString(values, "out"),
    dataset: datasetOption(values),
    data: stringOption(values, "data"),
    lambdas,
    pruneLambda,
    ratios: values.ratios === undefined
      ? [...(profile.ratios ?? [0.5, 0.9])]
      : numberList(values, "ratios", (v) => v >= 0 && v < 1),
    sweep: sweepOf(values, profile),
    minChannels: numberOption(values, "min-channels", { integer: true, min: 1 }) ??
      DEFAULT_MIN_CHANNELS,
    recipe: recipeOf(values, scale),
    seed: numberOption(values, "seed", { integer: true, min: 0 }) ?? 1,
    backend: requiredString(values, "backend"),
    threads: numberOption(values, "threads", { integer: true, min: 1 }),
    quiet: values.quiet === true,
    json: values.json === true,
    planScale: booleanOption(values, "plan") ?? true,
  };
}
