/**
 * The records a run folder holds, as the CLI writes them and the report reads them. All JSON
 * is written atomically; accuracies are percentages; FLOPs are 2 x multiply-adds.
 *
 * Layout of a training or fine-tuning run `<dir>/`:
 * - `config.json` ({@linkcode RunConfig}), `history.json` ({@linkcode EpochRecord}[]),
 * - `last.safetensors`, `best.safetensors`: PyTorch reference names and layouts
 *   (`feature.<i>.weight` OIHW for convs, `feature.<i>.weight/bias/running_mean/running_var`
 *   for BN (the 1-D `feature.<i>.weight` are the BN gammas), `classifier.weight` [out, in],
 *   `classifier.bias`), header metadata `cfg` = JSON of the cfg list,
 * - `last.optimizer.safetensors`: momentum buffers (same names) and metadata `epoch`.
 *
 * A prune run `<dir>/`: `prune.json` ({@linkcode PruneSummary}), `pruned.safetensors`.
 *
 * A lab `<dir>/`: `lab.json` ({@linkcode LabSummary}) and one folder per stage.
 *
 * @module
 */
import type { ArchName, CfgItem } from "@slimming/architectures/descriptor";
import type { RunDataset } from "./dataset.ts";
import type { ScalePlan } from "./scale_plan.ts";

export type { ArchName, CfgItem };

/** Everything a training run was started with. */
export interface RunConfig {
  readonly command: "train" | "finetune";
  /** The architecture's tag (absent in runs written before there were others: VGG). */
  readonly arch?: ArchName;
  /** VGG: the cfg list; ResNet and DenseNet: the reference's flat channel list. */
  readonly cfg: CfgItem[];
  readonly depth?: number;
  /** DenseNet: the growth rate. */
  readonly growthRate?: number;
  readonly width: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly lambda: number;
  readonly seed: number;
  readonly subset?: number;
  /**
   * Training images an epoch: a seeded draw from the training set, afresh each epoch (absent:
   * all of them).
   */
  readonly imagesPerEpoch?: number;
  readonly testSubset?: number;
  readonly backend: string;
  /** The data set (absent in runs written before it was recorded: CIFAR-10); see `datasetOf`. */
  readonly dataset?: RunDataset;
  readonly dataSource: string;
  /** Epochs at which the learning rate is divided by 10 (the step schedule; else empty). */
  readonly lrSteps: number[];
  /** Learning-rate schedule (absent in runs written before it existed: "step"). */
  readonly schedule?: "step" | "cosine" | "onecycle";
  /** onecycle: share of the steps spent warming up to the peak `lr`. */
  readonly warmup?: number;
  /** Label smoothing of the cross-entropy (0: none). */
  readonly labelSmoothing?: number;
  /** Nesterov momentum. */
  readonly nesterov?: boolean;
  /** For fine-tuning: the checkpoint it started from. */
  readonly checkpoint?: string;
  /** Knowledge distillation: the teacher checkpoint (eval mode, same augmented batches). */
  readonly teacher?: string;
  /** α of `α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE` (with a teacher). */
  readonly kdWeight?: number;
  /** T of the same (with a teacher). */
  readonly kdTemperature?: number;
  readonly startedAt: string;
}

/** One epoch of training, as appended to `history.json`. */
export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testLoss: number;
  readonly testAcc: number;
  readonly lr: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** Training images of the epoch (absent in runs written before it was recorded). */
  readonly images?: number;
  /**
   * True when a time limit ended the run after this epoch, so the epoch annealed the learning
   * rate as the end of its schedule would (it never ends at the peak).
   */
  readonly annealed?: boolean;
}

/** The per-layer outcome of a prune. */
export interface PruneSummary {
  /** The architecture (absent in VGG prunes written before there were others). */
  readonly arch?: ArchName;
  /** One name per BN layer, in layer order, as the report prints them (absent: VGG names). */
  readonly layerNames?: string[];
  readonly ratio: number;
  readonly threshold: number;
  readonly minChannels: number;
  readonly cfgBefore: CfgItem[];
  readonly cfg: CfgItem[];
  /** Channels kept per BN layer, in layer order (after any --round-to). */
  readonly kept: number[];
  /** --round-to N when above 1: each layer's kept count was rounded up to a multiple of N. */
  readonly roundTo?: number;
  /** With --round-to: channels kept per BN layer by the threshold and guard, before rounding. */
  readonly keptBeforeRounding?: number[];
  /** Channels per BN layer before pruning. */
  readonly channelsBefore: number[];
  /** Indices (0-based, BN layer order) of layers where the min-channels guard fired. */
  readonly guardedLayers: number[];
  readonly paramsBefore: number;
  readonly paramsAfter: number;
  readonly flopsBefore: number;
  readonly flopsAfter: number;
  readonly testAccBefore: number;
  /**
   * Test accuracy of the full model with the pruned channels' γ and β set to 0. Absent when
   * it was not measured: a multi-pass prune fine-tunes between passes, so no masked model of
   * the original weights exists.
   */
  readonly maskedTestAcc?: number;
  readonly slimTestAcc: number;
  /**
   * Test accuracy of the slim model after its BN running statistics were re-estimated on
   * `recalibrationImages` training images (`--recalibrate N`); absent without recalibration.
   */
  readonly recalibratedTestAcc?: number;
  readonly recalibrationImages?: number;
  /** Whether the recalibration images were augmented as in training (absent: no). */
  readonly recalibrationAugmented?: boolean;
  /** Measured eval-mode images/s of the full and of the slim model. */
  readonly imagesPerSecondBefore: number;
  readonly imagesPerSecondAfter: number;
  readonly checkpoint: string;
}

/** The counts of a prune as pruning computes them (slimming's `PruneReport` has these fields). */
export type PruneCounts = Pick<
  PruneSummary,
  | "threshold"
  | "cfgBefore"
  | "cfg"
  | "kept"
  | "channelsBefore"
  | "guardedLayers"
  | "paramsBefore"
  | "paramsAfter"
  | "flopsBefore"
  | "flopsAfter"
>;

/** What a prune measured and was asked for, besides its counts. */
export type PruneMeasures = Omit<PruneSummary, keyof PruneCounts>;

/** One ratio of a pruning sweep: what a `prune` at that ratio would give, without its files. */
export interface SweepPoint {
  readonly ratio: number;
  readonly threshold: number;
  /** Channels kept per BN layer, in layer order (after any round-to). */
  readonly kept: number[];
  /** Indices of the layers where the min-channels guard fired. */
  readonly guardedLayers: number[];
  readonly paramsAfter: number;
  readonly flopsAfter: number;
  readonly slimTestAcc: number;
  /** After re-estimating BN statistics (absent without recalibration). */
  readonly recalibratedTestAcc?: number;
  /** Measured eval-mode images/s of the slim model. */
  readonly imagesPerSecond: number;
}

/** `sweep.json`: one checkpoint pruned at many ratios with `prune`'s rules. */
export interface SweepSummary {
  /** The architecture (absent: VGG). */
  readonly arch?: ArchName;
  readonly checkpoint: string;
  /** BN layer names, in layer order. */
  readonly layerNames: string[];
  readonly channelsBefore: number[];
  readonly minChannels: number;
  readonly roundTo: number;
  /** Training images re-estimating BN statistics at each ratio (0: none). */
  readonly recalibrationImages: number;
  readonly recalibrationAugmented: boolean;
  readonly testImages: number;
  readonly paramsBefore: number;
  readonly flopsBefore: number;
  readonly testAccBefore: number;
  readonly imagesPerSecondBefore: number;
  readonly points: SweepPoint[];
  readonly seconds: number;
}

/** Something the lab detected and how it handled it (for the report's problems section). */
export interface LabEvent {
  readonly stage: string;
  readonly kind:
    | "guard"
    | "collapse"
    | "divergence"
    | "time-budget"
    | "resumed"
    | "skipped"
    | "recovered"
    | "note";
  readonly message: string;
}

/**
 * The kinds of lab stage that run something (the report is not a stage folder): a sparsity
 * training, a pruning sweep of a trained λ's model, a prune, a fine-tune.
 */
export type StageKind = "train" | "sweep" | "prune" | "finetune";

/**
 * How a stage ended: `done`; `stopped` early by the time budget or Ctrl-C (a training's
 * `epochs` says how far it got); `failed` by an error; `pending`, not run yet.
 */
export type StageStatus = "done" | "stopped" | "failed" | "pending";

/** One stage of the lab. */
export interface LabStage {
  readonly name: string;
  /** Folder under the lab directory. */
  readonly dir: string;
  readonly kind: StageKind | "report";
  readonly status: StageStatus;
  readonly seconds: number;
  /** A training or fine-tune: epochs committed, and epochs planned. */
  readonly epochs?: number;
  readonly plannedEpochs?: number;
  /** A training or sweep: its λ. */
  readonly lambda?: number;
  /** A prune or fine-tune: its ratio. */
  readonly ratio?: number;
}

/** `lab.json`: the lab's options and what each stage did. */
/** How a lab trains: the optimiser, schedule and regularisation of every training stage. */
export interface TrainingRecipe {
  readonly schedule: "step" | "cosine" | "onecycle";
  /** Initial (step, cosine) or peak (onecycle) learning rate of the sparsity trainings. */
  readonly lr: number;
  /** Initial or peak learning rate of the fine-tunes. */
  readonly finetuneLr: number;
  /** onecycle: share of the steps spent warming up. */
  readonly warmup?: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Training images re-estimating BN statistics after pruning (0: none, vggprune's model). */
  readonly recalibrate: number;
  /**
   * Whether those images get the training augmentation (pad-4 crop, flip), so the statistics
   * are those the weights were trained under (absent in labs written before it: false).
   */
  readonly recalibrateAugment?: boolean;
}

export interface LabSummary {
  readonly profile: string;
  /** The architecture's tag (absent in labs written before there were others: VGG). */
  readonly arch?: ArchName;
  /** DenseNet: the growth rate. */
  readonly growthRate?: number;
  /**
   * What the lab's settings scale down compared to the paper, in words, as the lab computed
   * it from its own settings (the report recomputes it from the fields below when present).
   */
  readonly scaledDown: string[];
  /** The training recipe (absent in labs written before it was recorded). */
  readonly recipe?: TrainingRecipe;
  readonly testSubset?: number;
  readonly minChannels?: number;
  /** Wall-time budget in seconds, when there was one. */
  readonly timeBudget?: number;
  /**
   * The plan made from the machine's measured speed for the budget (absent without a budget,
   * and in labs written before plans): `--resume` continues with it.
   */
  readonly plan?: ScalePlan;
  /** Sparsity trainings' images an epoch, when not all (a seeded draw afresh each epoch). */
  readonly imagesPerEpoch?: number;
  /** Fine-tunes' images an epoch, when not all. */
  readonly finetuneImagesPerEpoch?: number;
  readonly cfg: CfgItem[];
  readonly depth: number;
  readonly width: number;
  readonly lambdas: number[];
  readonly pruneLambda: number;
  readonly ratios: number[];
  /**
   * The pruning sweep of every λ's model: its ratios and the test images each point is
   * evaluated on (absent: all); absent when the lab ran none.
   */
  readonly sweep?: { readonly ratios: readonly number[]; readonly testImages?: number };
  readonly seed: number;
  readonly backend: string;
  /** The data set (absent in labs written before it was recorded: CIFAR-10); see `datasetOf`. */
  readonly dataset?: RunDataset;
  readonly dataSource: string;
  readonly subset?: number;
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly stages: LabStage[];
  readonly events: LabEvent[];
  readonly startedAt: string;
  readonly finishedAt?: string;
}

/**
 * `lab.json` as validated: the fields a reader's structure depends on are required; the
 * ones only displayed may be missing.
 */
export type LabInfo =
  & Partial<Omit<LabSummary, "stages" | "events" | "lambdas" | "ratios">>
  & Pick<LabSummary, "stages" | "events" | "lambdas" | "ratios">;
