/**
 * `lab.json` as the lab writes it after every stage: options, the stages done so far, the
 * rest as pending, and the events.
 *
 * @module
 */
import {
  type LabStage,
  type LabSummary,
  pendingStage,
  type PlannedStage,
  planWords,
  scaledDownFrom,
} from "@slimming/run-format";
import { archField } from "@slimming/architectures/info";
import type { LabContext, StageOutcome } from "./context.ts";

/** A lab's progress: its plan, the stages run so far, and what an earlier run left. */
export interface LabProgress {
  readonly plan: readonly PlannedStage[];
  readonly stages: readonly LabStage[];
  /** lab.json of an earlier run of this lab, if any. */
  readonly previous?: LabSummary;
  /** When the lab was first started (an earlier run's `startedAt`). */
  readonly startedAt: string;
}

/** What lab.json says at this point of the lab. */
export function labSummary(
  ctx: LabContext,
  { plan, stages, previous, startedAt }: LabProgress,
  finished: boolean,
): LabSummary {
  const { options, backend, data } = ctx;
  return {
    profile: options.profileName,
    scaledDown: scaledDownFrom({ ...options, planReason: options.plan && planWords(options.plan) }),
    recipe: options.recipe,
    testSubset: options.testSubset,
    minChannels: options.minChannels,
    ...(options.timeBudget === undefined ? {} : { timeBudget: options.timeBudget }),
    ...(options.plan === undefined ? {} : { plan: options.plan }),
    ...(options.imagesPerEpoch === undefined ? {} : { imagesPerEpoch: options.imagesPerEpoch }),
    ...(options.finetuneImagesPerEpoch === undefined
      ? {}
      : { finetuneImagesPerEpoch: options.finetuneImagesPerEpoch }),
    ...archField(ctx.spec.arch),
    ...(ctx.spec.growthRate === undefined ? {} : { growthRate: ctx.spec.growthRate }),
    cfg: ctx.spec.cfg,
    depth: options.depth,
    width: options.width,
    lambdas: options.lambdas,
    pruneLambda: options.pruneLambda,
    ratios: options.ratios,
    ...(options.sweep === undefined ? {} : { sweep: options.sweep }),
    seed: options.seed,
    backend: `${backend.name} (${backend.description})`,
    dataset: data.spec.name,
    dataSource: data.source,
    subset: options.subset,
    epochs: options.epochs,
    finetuneEpochs: options.finetuneEpochs,
    batchSize: options.batchSize,
    stages: [...stages, ...plan.slice(stages.length).map(pendingStage)],
    // A rerun reports afresh what it skips; everything else the earlier runs met stays.
    events: [...(previous?.events?.filter((e) => e.kind !== "skipped") ?? []), ...ctx.events],
    startedAt,
    finishedAt: finished ? new Date().toISOString() : undefined,
  };
}

/**
 * The lab.json entry of a stage that ran for `seconds`; a stage an earlier run had completed
 * keeps the time it took then.
 */
export function stageRecord(
  stage: PlannedStage,
  outcome: StageOutcome,
  seconds: number,
  previous: LabSummary | undefined,
): LabStage {
  const earlier = outcome.alreadyDone
    ? previous?.stages.find((s) => s.dir === stage.dir && s.status === "done")?.seconds
    : undefined;
  return {
    ...pendingStage(stage),
    status: outcome.status,
    seconds: earlier ?? seconds,
    ...(outcome.epochs === undefined ? {} : { epochs: outcome.epochs }),
  };
}
