/**
 * The CLI's library surface, for end-to-end tests and tools that drive training without the
 * command line: the training loop, one SGD step, evaluation, checkpoints and the progress
 * printer. The commands themselves run through `main.ts`.
 *
 * @module
 */
export { runTraining, type TrainingOptions, type TrainingResult } from "./training.ts";
export { disposeState, type TrainState, trainStep } from "./train_step.ts";
export { evaluate, inferenceSpeed } from "./evaluate.ts";
export { checkpointCfg, loadModel, saveModel } from "./checkpoint.ts";
export { createProgressPrinter, type ProgressPrinter } from "./progress.ts";
export {
  type Architecture,
  architecture,
  architectureOf,
  type ModelParams,
  type ModelSpec,
} from "@slimming/architectures";
export { type MomentumBuffers, type SgdOptions, sgdStep } from "./sgd.ts";
