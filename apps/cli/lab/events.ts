/**
 * What the lab records about its stages for the report's problems section.
 *
 * @module
 */
import {
  type LabEvent,
  type PlannedStage,
  prunedLayerNames,
  type PruneSummary,
} from "@slimming/run-format";
import { formatDuration } from "@slimming/train";

/** Events of a prune: the min-channels guard, an accuracy collapse, masked and slim apart. */
export function pruneEvents(pruned: PruneSummary, dir: string): LabEvent[] {
  const events: LabEvent[] = [];
  const pct = Math.round(pruned.ratio * 100);
  const names = prunedLayerNames(pruned);
  if (pruned.guardedLayers.length > 0) {
    const layers = pruned.guardedLayers.map((i) => names[i]);
    events.push({
      stage: dir,
      kind: "guard",
      message:
        `prune ${pct}%: the global threshold |γ| > ${
          pruned.threshold.toPrecision(3)
        } left fewer than ` +
        `${pruned.minChannels} channels in ${
          layers.join(", ")
        }; the reference's pruning script cannot build such a ` +
        `model, so the min-channels guard kept each one's ${pruned.minChannels} largest |γ|`,
    });
  }
  if (pruned.slimTestAcc < 20 || pruned.testAccBefore - pruned.slimTestAcc > 5) {
    events.push({
      stage: dir,
      kind: "collapse",
      message: `prune ${pct}%: test accuracy fell from ${pruned.testAccBefore.toFixed(2)}% to ` +
        `${
          pruned.slimTestAcc.toFixed(2)
        }% before fine-tuning; the fine-tuning stage retrains the slim model`,
    });
  }
  const masked = pruned.maskedTestAcc;
  if (masked !== undefined && Math.abs(masked - pruned.slimTestAcc) > 0.05) {
    events.push({
      stage: dir,
      kind: "note",
      message:
        `prune ${pct}%: masked ${masked.toFixed(2)}% and slim ${pruned.slimTestAcc.toFixed(2)}% ` +
        `differ by more than 0.05 points`,
    });
  }
  return events;
}

/** A training stage continued after the lab had been stopped. */
export function resumedEvent(stage: PlannedStage, before: number): LabEvent {
  return {
    stage: stage.dir,
    kind: "resumed",
    message:
      `${stage.name}: continued after epoch ${before} of ${stage.epochs} (the lab had been stopped)`,
  };
}

/**
 * A training stage stopped early by the time budget after `epochsRun` epochs, the last of them
 * annealed when `annealed`.
 */
export function timeBudgetEvent(
  stage: PlannedStage,
  epochsRun: number,
  budget: number,
  annealed: boolean,
): LabEvent {
  return {
    stage: stage.dir,
    kind: "time-budget",
    message:
      `${stage.name}: stopped early (epoch ${epochsRun} of ${stage.epochs}) to stay within ` +
      `the ${formatDuration(budget)} budget${
        annealed ? ", its last epoch annealing the learning rate to the end of its schedule" : ""
      }; later stages used its checkpoints`,
  };
}

/** A training stage diverged, was set aside in `moved` and restarts at `lr`. */
export function divergenceEvent(
  stage: PlannedStage,
  message: string,
  moved: string,
  lr: number,
): LabEvent {
  return {
    stage: stage.dir,
    kind: "divergence",
    message: `${stage.name}: ${
      message.split(";")[0]
    }; the run was kept in ${moved} and restarted with lr ${lr}`,
  };
}
