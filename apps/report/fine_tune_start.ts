/**
 * Where a fine-tune started: vggprune's slim model, or the slim model with recalibrated BN
 * statistics (`prune --recalibrate`), as its config.json's `checkpoint` says.
 *
 * @module
 */
import { PRUNE_FILES } from "@slimming/run-format";
import type { PruneSummary, TrainingRun } from "./lab_types.ts";

/** The model a fine-tune started from and that model's test accuracy. */
export interface FineTuneStart {
  readonly recalibrated: boolean;
  readonly accuracy: number | undefined;
}

/**
 * The start of `finetune` (of the prune `prune`): recalibrated when its checkpoint is the
 * prune's recalibrated model and prune.json has that model's accuracy; else the slim model.
 */
export function fineTuneStart(
  prune: PruneSummary | undefined,
  finetune: TrainingRun | undefined,
): FineTuneStart {
  const fromRecalibrated =
    finetune?.config?.checkpoint?.endsWith(PRUNE_FILES.recalibrated) === true;
  if (fromRecalibrated && prune?.recalibratedTestAcc !== undefined) {
    return { recalibrated: true, accuracy: prune.recalibratedTestAcc };
  }
  return { recalibrated: false, accuracy: prune?.slimTestAcc };
}
