/**
 * What the report knows about a lab after reading its folder: lab.json plus, for every
 * stage the lab planned, the files that stage left behind — or nothing, when it was not run.
 *
 * @module
 */
import type {
  EpochRecord,
  LabEvent,
  LabInfo,
  LabStage,
  PruneSummary,
  RunConfig,
  SweepSummary,
} from "@slimming/run-format";

/** The run format's record types, for the report's modules. */
export type * from "@slimming/run-format";

/** The BN scaling factors γ of one checkpoint, one array per BN layer in network order. */
export interface LayerGammas {
  /** Tensor name, `feature.<i>.weight`. */
  readonly name: string;
  readonly values: Float32Array;
}

/** A training or fine-tuning run folder: what it was started with and each epoch's record. */
export interface TrainingRun {
  readonly dir: string;
  readonly config?: RunConfig;
  readonly history: EpochRecord[];
  /** BN γ of `last.safetensors` (sparsity runs only), absent when there is no checkpoint. */
  readonly gammas?: LayerGammas[];
  /** Why `gammas` is absent although a checkpoint was expected. */
  readonly gammaProblem?: string;
}

/** One sparsity training of the lab (one λ). `run` is absent when it was not run. */
export interface SparsityResult {
  readonly lambda: number;
  readonly stage?: LabStage;
  readonly run?: TrainingRun;
}

/** One prune of the lab (one ratio). `summary` is absent when it was not run. */
export interface PruneResult {
  readonly ratio: number;
  readonly stage?: LabStage;
  readonly summary?: PruneSummary;
}

/** One λ's pruning sweep. `summary` is absent when it was not run. */
export interface SweepResult {
  readonly lambda: number;
  readonly stage?: LabStage;
  readonly summary?: SweepSummary;
}

/** One fine-tune of the lab (one ratio). `run` is absent when it was not run. */
export interface FinetuneResult {
  readonly ratio: number;
  readonly stage?: LabStage;
  readonly run?: TrainingRun;
}

/** Everything the report shows, read from one runs folder. */
export interface LabData {
  readonly runsDir: string;
  readonly info: LabInfo;
  /** One per λ (lab.json `lambdas`, then any other λ a train stage names), in that order. */
  readonly sparsity: SparsityResult[];
  /** One per ratio (lab.json `ratios`, then any other ratio a stage names), in that order. */
  readonly prunes: PruneResult[];
  /** One per ratio, same order as {@linkcode LabData.prunes}. */
  readonly finetunes: FinetuneResult[];
  /** One per λ the lab swept (its sweep stages, in λ order); empty without sweeps. */
  readonly sweeps: SweepResult[];
  /** The λ whose model was pruned (lab.json `pruneLambda`, else the largest λ). */
  readonly pruneLambda?: number;
  /** The lab's recorded events (lab.json `events`). */
  readonly events: LabEvent[];
}
