/**
 * The training core (`@slimming/train`): SGD with momentum (and Nesterov) and the sparsity
 * term, one train step (cross-entropy, label smoothing, distillation), epochs over seeded
 * augmented batches with the learning-rate schedule, evaluation and inference speed, BN
 * recalibration, checkpoints on disk and exact resume, and the progress line. Generic over
 * architectures: it asks the architecture registry by a tree's or a checkpoint's `arch` tag.
 *
 * ```ts
 * import { runTraining } from "@slimming/train";
 * const { params, history } = await runTraining({ out, config, data, resume: false, initial });
 * ```
 *
 * @module
 */
export type { LoadedData } from "./data.ts";
export { type MomentumBuffers, type SgdOptions, sgdStep } from "./sgd.ts";
export {
  correctCount,
  crossEntropy,
  disposeState,
  type Distillation,
  distillationLoss,
  evalBatch,
  gammaFlags,
  type StepResult,
  type TrainState,
  trainStep,
} from "./train_step.ts";
export {
  annealedRate,
  type BatchTeacher,
  commitEpoch,
  type EpochFinish,
  epochImages,
  epochLine,
  type EpochTraining,
  stepOnBatch,
  trainEpoch,
} from "./epoch.ts";
export { epochFinish, runTraining, type TrainingOptions, type TrainingResult } from "./training.ts";
export { EVAL_BATCH_SIZE, evaluate, type Evaluation, inferenceSpeed } from "./evaluate.ts";
export { markStepEnd } from "./step_end.ts";
export { recalibrate, RECALIBRATION_BATCH } from "./recalibration.ts";
export {
  checkpointCfg,
  checkpointSpec,
  describeSpec,
  encodeModel,
  type LoadedModel,
  loadModel,
  loadOptimizer,
  saveModel,
  saveOptimizer,
} from "./checkpoint.ts";
export { catchUpBest, type ResumePoint, specOfConfig, startingPoint } from "./resume.ts";
export {
  createProgressPrinter,
  formatDuration,
  formatProgressState,
  type ProgressPrinter,
  type ProgressState,
} from "./progress.ts";
