/**
 * How the lab names its stages: the folder under the lab directory and the name shown in
 * the log and the report.
 *
 * @module
 */
import type { LabStage, StageKind } from "./records.ts";

/** λ as a folder suffix: `0`, `1e-4`, `1e1`. */
function lambdaSuffix(lambda: number): string {
  return lambda === 0 ? "0" : lambda.toExponential().replace("+", "");
}

/**
 * Folder of a stage: `sparsity-<λ>` for training (`sparsity-1e-4`), `sweep-<λ>` for its
 * pruning sweep, `prune-<pct>` and `finetune-<pct>` for a ratio (`prune-90`).
 */
export function stageDir(kind: StageKind, value: number): string {
  if (kind === "train") return `sparsity-${lambdaSuffix(value)}`;
  if (kind === "sweep") return `sweep-${lambdaSuffix(value)}`;
  return `${kind}-${Math.round(value * 100)}`;
}

/**
 * Name of a stage: `sparsity training, lambda 0.0001`, `pruning sweep, lambda 0.0001`,
 * `prune 90%`, `fine-tune 90%`.
 */
export function stageName(kind: StageKind, value: number): string {
  if (kind === "train") return `sparsity training, lambda ${value}`;
  if (kind === "sweep") return `pruning sweep, lambda ${value}`;
  return `${kind === "prune" ? "prune" : "fine-tune"} ${Math.round(value * 100)}%`;
}

/**
 * A stage's status in words: `done`, `failed`, `not run`, and for a stage the time budget or
 * Ctrl-C ended early `stopped early (epoch 4 of 7)` (`stopped early` where lab.json has no
 * epoch counts: a prune, an older lab).
 */
export function stageStatusText(
  stage: Pick<LabStage, "status" | "epochs" | "plannedEpochs">,
): string {
  if (stage.status === "pending") return "not run";
  if (stage.status !== "stopped") return stage.status;
  return stage.epochs !== undefined && stage.plannedEpochs !== undefined
    ? `stopped early (epoch ${stage.epochs} of ${stage.plannedEpochs})`
    : "stopped early";
}
