/**
 * The lab's plan, without running anything: its stages in order, their folders and inputs,
 * and the share of a time budget each stage may use.
 *
 * @module
 */
import { PRUNE_FILES, RUN_FILES } from "./files.ts";
import type { LabStage, StageKind } from "./records.ts";
import { stageDir, stageName } from "./stages.ts";
import type { PlanEstimate } from "./scale_plan.ts";

/** What the plan is made from. */
export interface LabPlanOptions {
  /** λ of the sparsity trainings, in order. */
  readonly lambdas: readonly number[];
  /** The λ whose best model is pruned (one of `lambdas`). */
  readonly pruneLambda: number;
  /** Pruning ratios, in order; each is pruned, then fine-tuned. */
  readonly ratios: readonly number[];
  readonly epochs: number;
  readonly finetuneEpochs: number;
  /** Training images re-estimating BN statistics after pruning; > 0: fine-tune from that model. */
  readonly recalibrate?: number;
  /** The sweep of every λ's best model over many ratios after the trainings (absent: none). */
  readonly sweep?: { readonly ratios: readonly number[] };
  /**
   * Estimated seconds of each kind of stage (a budget plan's estimate): the stages' weights.
   * Without it, a training weighs its epochs, a prune 1 and a fine-tune
   * {@linkcode FINETUNE_EPOCH_WEIGHT} an epoch.
   */
  readonly estimate?: Pick<PlanEstimate, "train" | "sweep" | "prune" | "finetune">;
}

/** One stage of the plan. */
export interface PlannedStage {
  readonly kind: StageKind;
  /** λ for a training or sweep, the ratio otherwise. */
  readonly value: number;
  /** Folder under the lab directory. */
  readonly dir: string;
  readonly name: string;
  /** Epochs a training or fine-tune runs (0 for a prune). */
  readonly epochs: number;
  /**
   * The model it starts from, relative to the lab directory: a sweep its λ's
   * `best.safetensors`, a prune the pruned λ's
   * `best.safetensors`, a fine-tune its prune's `pruned.safetensors` (`recalibrated.safetensors`
   * when the lab recalibrates); none for a training.
   */
  readonly source?: string;
  /** Its expected share of the lab's time, relative to the other stages. */
  readonly weight: number;
}

/** A fine-tune epoch of a pruned model costs about this share of a sparsity epoch. */
export const FINETUNE_EPOCH_WEIGHT = 0.4;

/** A sweep costs about this share of a sparsity epoch (no estimate given). */
export const SWEEP_WEIGHT = 0.3;

/**
 * The lab's stages: every λ trained, then (with `sweep`) every λ's model swept, then every
 * ratio pruned, then every ratio fine-tuned.
 */
export function labPlan(options: LabPlanOptions): PlannedStage[] {
  const stage = (kind: StageKind, value: number, rest: Partial<PlannedStage>): PlannedStage => ({
    kind,
    value,
    dir: stageDir(kind, value),
    name: stageName(kind, value),
    epochs: 0,
    weight: 1,
    ...rest,
  });
  const pruneSource = `${stageDir("train", options.pruneLambda)}/${RUN_FILES.best}`;
  const { estimate } = options;
  return [
    ...options.lambdas.map((v) =>
      stage("train", v, { epochs: options.epochs, weight: estimate?.train ?? options.epochs })
    ),
    ...(options.sweep ? options.lambdas : []).map((v) =>
      stage("sweep", v, {
        source: `${stageDir("train", v)}/${RUN_FILES.best}`,
        weight: estimate?.sweep ?? SWEEP_WEIGHT,
      })
    ),
    ...options.ratios.map((v) =>
      stage("prune", v, { source: pruneSource, weight: estimate?.prune ?? 1 })
    ),
    ...options.ratios.map((v, i) =>
      stage("finetune", v, {
        epochs: options.finetuneEpochs,
        weight: estimate?.finetune[i] ?? options.finetuneEpochs * FINETUNE_EPOCH_WEIGHT,
        source: `${stageDir("prune", v)}/${
          (options.recalibrate ?? 0) > 0 ? PRUNE_FILES.recalibrated : PRUNE_FILES.model
        }`,
      })
    ),
  ];
}

/** Seconds of the budget kept back for the report and the bookkeeping after the last stage. */
export const BUDGET_RESERVE_SECONDS = 20;

/**
 * Seconds stage `index` of `plan` may run when `secondsLeft` of the budget remain: its
 * weight's share of what is left after the reserve, never negative; undefined without a
 * budget.
 */
export function stageBudget(
  plan: readonly PlannedStage[],
  index: number,
  secondsLeft: number | undefined,
): number | undefined {
  if (secondsLeft === undefined) return undefined;
  const remainingWeight = plan.slice(index).reduce((a, p) => a + p.weight, 0);
  return Math.max(
    0,
    (secondsLeft - BUDGET_RESERVE_SECONDS) * (plan[index].weight / remainingWeight),
  );
}

/** The lab.json entry of a stage that has not run yet. */
export function pendingStage(stage: PlannedStage): LabStage {
  return {
    name: stage.name,
    dir: stage.dir,
    kind: stage.kind,
    status: "pending",
    seconds: 0,
    ...(stage.kind === "train" || stage.kind === "sweep"
      ? { lambda: stage.value }
      : { ratio: stage.value }),
    ...(stage.kind === "train" || stage.kind === "finetune" ? { plannedEpochs: stage.epochs } : {}),
  };
}
