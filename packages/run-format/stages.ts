/**
 * How the lab names its stages: the folder under the lab directory and the name shown in
 * the log and the report.
 *
 * @module
 */
import type { StageKind } from "./records.ts";

/** λ as a folder suffix: `0`, `1e-4`, `1e1`. */
function lambdaSuffix(lambda: number): string {
  return lambda === 0 ? "0" : lambda.toExponential().replace("+", "");
}

/**
 * Folder of a stage: `sparsity-<λ>` for training (`sparsity-1e-4`), `prune-<pct>` and
 * `finetune-<pct>` for a ratio (`prune-90`).
 */
export function stageDir(kind: StageKind, value: number): string {
  if (kind === "train") return `sparsity-${lambdaSuffix(value)}`;
  return `${kind}-${Math.round(value * 100)}`;
}

/** Name of a stage: `sparsity training, lambda 0.0001`, `prune 90%`, `fine-tune 90%`. */
export function stageName(kind: StageKind, value: number): string {
  if (kind === "train") return `sparsity training, lambda ${value}`;
  return `${kind === "prune" ? "prune" : "fine-tune"} ${Math.round(value * 100)}%`;
}
