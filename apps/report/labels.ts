/**
 * How the report names the lab's models and stages, so that figures, tables and the
 * problems section use the same words.
 *
 * @module
 */
import { formatRatio, lambdaLabel } from "./format.ts";
import type { LabStage } from "./lab_types.ts";
import { stageStatusText } from "@slimming/run-format";

/** A sparsity-trained model: `λ = 1e-4`. */
export function sparsityLabel(lambda: number): string {
  return lambdaLabel(lambda);
}

/** A pruned model: `pruned 90%`. */
export function prunedLabel(ratio: number): string {
  return `pruned ${formatRatio(ratio)}`;
}

/** A stage for prose: its lab.json name in quotes, or a description when it has none. */
export function stageLabel(stage: LabStage | undefined, fallback: string): string {
  return stage ? `“${stage.name}”` : fallback;
}

/** Status as the report prints it: `done`, `stopped early (…)`, `failed`, `not run`. */
export function statusLabel(stage: LabStage | undefined, hasData: boolean): string {
  if (stage === undefined) return hasData ? "done" : "not run";
  if (stage.status === "failed") return "failed";
  if (stage.status === "stopped") return stageStatusText(stage);
  if (stage.status === "pending") return hasData ? "partial" : "not run";
  return hasData ? "done" : "done (files missing)";
}

/** The chance accuracy of a 10-class problem, in percent. */
export const CHANCE_ACCURACY = 10;
