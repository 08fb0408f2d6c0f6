/**
 * Section 1: accuracy over epochs of the sparsity trainings, one colour per λ, and a table
 * of each model's final and best accuracy.
 *
 * @module
 */
import { formatAccuracy, formatDuration, formatLambda, MISSING } from "../format.ts";
import { bestTestEpoch, historySeconds, lastEpoch } from "../history.ts";
import { sparsityLabel, statusLabel } from "../labels.ts";
import type { RunConfig } from "../lab_types.ts";
import { scheduleText } from "../schedule_text.ts";
import { modelName, sparsityScope } from "@slimming/run-format";
import { keepWithFigure, NOT_RUN_FIGURE, type SectionContext } from "./context.ts";

/** The section heading. */
export const SPARSITY_HEADING = "1. Sparsity training";

function describeTraining(config: RunConfig, model: string, scope: string): string {
  return `Each model is ${model} trained from scratch for ` +
    `${config.epochs ?? MISSING} epochs with λ·Σ|γ| over ${scope} added to the ` +
    `cross-entropy loss. SGD with batch size ` +
    `${config.batchSize ?? MISSING}, momentum ${config.momentum ?? MISSING}, ` +
    `${scheduleText(config)}.`;
}

/** Writes section 1. */
export function writeSparsity({ report, lab, figures }: SectionContext): void {
  report.heading(SPARSITY_HEADING, keepWithFigure(figures.sparsityAccuracy));
  const config = lab.sparsity.find((s) => s.run?.config)?.run?.config;
  if (config) {
    report.paragraph(
      describeTraining(config, modelName(lab.info), sparsityScope(lab.info.arch)),
    );
  }
  if (figures.sparsityAccuracy) {
    report.figure(
      figures.sparsityAccuracy,
      "Figure 1. Train (dashed) and test (solid) accuracy after each epoch, one colour per λ." +
        (lab.sparsity.some((s) => s.lambda === 0)
          ? " λ = 0 is the baseline without sparsity regularisation."
          : ""),
    );
  } else {
    report.paragraph(NOT_RUN_FIGURE, { muted: true });
  }
  report.table(
    [
      { header: "Model", share: 1.1 },
      { header: "Status", share: 0.8 },
      { header: "Epochs", share: 0.95, align: "right" },
      { header: "Final train acc.", share: 1.1, align: "right" },
      { header: "Final test acc.", share: 1.1, align: "right" },
      { header: "Best test acc. (epoch)", share: 1.4, align: "right" },
      { header: "Wall time", share: 1, align: "right" },
    ],
    lab.sparsity.map(({ lambda, stage, run }) => {
      if (run === undefined) {
        return [sparsityLabel(lambda), statusLabel(stage, false), "", "", "", "", ""];
      }
      const last = lastEpoch(run.history);
      const best = bestTestEpoch(run.history);
      const planned = run.config?.epochs;
      return [
        `λ = ${formatLambda(lambda)}`,
        statusLabel(stage, true),
        planned === undefined ? `${run.history.length}` : `${run.history.length} / ${planned}`,
        formatAccuracy(last?.trainAcc),
        formatAccuracy(last?.testAcc),
        best ? `${formatAccuracy(best.testAcc)} (${best.epoch})` : MISSING,
        formatDuration(stage?.seconds ?? historySeconds(run.history)),
      ];
    }),
  );
}
