/**
 * The run-folder format shared by the CLI (which writes runs) and the report (which reads
 * them): file names, record types, stage naming, JSON writers and readers, and the lab's
 * plan (stages, folders, budget shares). Plain data and arithmetic: it loads no tfjs.
 *
 * ```ts
 * import { labPlan, readLabSummary } from "@slimming/run-format";
 * const plan = labPlan({ lambdas: [0, 1e-4], pruneLambda: 1e-4, ratios: [0.9], epochs: 12, finetuneEpochs: 8 });
 * const lab = await readLabSummary("runs/lab");
 * ```
 *
 * @module
 */
export { LAB_FILES, PRUNE_FILES, RUN_FILES, SWEEP_FILES } from "./files.ts";
export type {
  CfgItem,
  EpochRecord,
  LabEvent,
  LabInfo,
  LabStage,
  LabSummary,
  PruneCounts,
  PruneMeasures,
  PruneSummary,
  RunConfig,
  StageKind,
  StageStatus,
  SweepPoint,
  SweepSummary,
  TrainingRecipe,
} from "./records.ts";
export {
  type FinetunePlan,
  type FinetuneRequest,
  finetuneSpeedup,
  isRefusal,
  type MeasuredSpeed,
  PLAN_MARGIN,
  type PlanEstimate,
  planFinetunes,
  planScale,
  planWords,
  REPORT_SECONDS,
  type ScaleKnob,
  type ScalePlan,
  type ScalePolicy,
  type ScaleRefusal,
  type ScaleRequest,
  type SweepRequest,
  sweepSeconds,
} from "./scale_plan.ts";
export { stageDir, stageName, stageStatusText } from "./stages.ts";
export { DATASET_TITLES, datasetOf, datasetTitle, type RunDataset } from "./dataset.ts";
export { pruneSummary } from "./prune_summary.ts";
export {
  BUDGET_RESERVE_SECONDS,
  FINETUNE_EPOCH_WEIGHT,
  labPlan,
  type LabPlanOptions,
  pendingStage,
  type PlannedStage,
  stageBudget,
} from "./plan.ts";
export {
  readHistory,
  readLabSummary,
  readPruneSummary,
  readRunConfig,
  readSweepSummary,
  writeHistory,
  writeLabSummary,
  writeLabSummarySync,
  writePruneSummary,
  writeRunConfig,
  writeSweepSummary,
} from "./io.ts";
export {
  parseHistory,
  parseLabInfo,
  parsePruneSummary,
  parseRunConfig,
  parseSweepSummary,
} from "./validate.ts";
export { type LabScale, PAPER_SETTING, scaledDownFrom, scheduleWords } from "./scale.ts";
/** How the report names a lab's network and the reference script that prunes it. */
export {
  type LayerFields,
  type ModelFields,
  modelName,
  prunedLayerNames,
  pruneOrigin,
  pruneScript,
  sparsityScope,
} from "./model_name.ts";
export {
  learningRateAt,
  type LrSchedule,
  lrSteps,
  lrSum,
  type ScheduleName,
  scheduleOf,
  type SchedulePosition,
  SCHEDULES,
} from "./lr_schedule.ts";
