/**
 * Section 4: accuracy over epochs of the fine-tuned pruned models, against the unpruned
 * model, and a table of where each ended.
 *
 * @module
 */
import { pruneScript } from "@slimming/run-format";
import { formatAccuracy, formatDuration, formatLambda, formatRatio, MISSING } from "../format.ts";
import { bestTestEpoch, historySeconds, isFiniteNumber, lastEpoch } from "../history.ts";
import { prunedLabel, statusLabel } from "../labels.ts";
import { scheduleText } from "../schedule_text.ts";
import { keepWithFigure, NOT_RUN_FIGURE, type SectionContext } from "./context.ts";
import { fineTuneStart } from "../fine_tune_start.ts";

/** The section heading. */
export const FINETUNE_HEADING = "4. Fine-tuning";

function signedPoints(value: number | undefined): string {
  if (!isFiniteNumber(value)) return MISSING;
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)} points`;
}

/** Writes section 4. */
export function writeFinetuning({ report, lab, figures }: SectionContext): void {
  report.heading(FINETUNE_HEADING, keepWithFigure(figures.finetuneAccuracy));
  const config = lab.finetunes.find((f) => f.run?.config)?.run?.config;
  report.paragraph(
    "Each slim network is trained further, starting from its pruned weights" +
      (config
        ? `, for ${config.epochs ?? MISSING} epochs (${scheduleText(config)}, ` +
          `λ = ${formatLambda(config.lambda)})` +
          (config.checkpoint?.endsWith("recalibrated.safetensors")
            ? ", from the slim model with recalibrated BN statistics."
            : `, from ${pruneScript(lab.info.arch)}'s slim model.`) +
          (config.teacher
            ? ` It was distilled from ${config.teacher} (loss α·T²·KL(teacher ‖ student) + ` +
              `(1−α)·CE with α = ${config.kdWeight ?? MISSING}, T = ` +
              `${config.kdTemperature ?? MISSING}, the teacher in eval mode on the same ` +
              "augmented batches)."
            : "")
        : ".") +
      (figures.finetuneAccuracy
        ? " The open dot at the left of each curve is the slim model's test accuracy before " +
          "fine-tuning; the grey dotted line is the unpruned model's."
        : ""),
  );
  if (figures.finetuneAccuracy) {
    report.figure(
      figures.finetuneAccuracy,
      "Figure 4. Train (dashed) and test (solid) accuracy while fine-tuning each pruned model.",
    );
  } else {
    report.paragraph(NOT_RUN_FIGURE, { muted: true });
  }
  if (lab.finetunes.length === 0) return;
  report.table(
    [
      { header: "Model", share: 1.1 },
      { header: "Status", share: 0.75 },
      { header: "Epochs", share: 0.95, align: "right" },
      { header: "Before fine-tuning", share: 1.1, align: "right" },
      { header: "Final test acc.", share: 1, align: "right" },
      { header: "Best test acc. (epoch)", share: 1.3, align: "right" },
      { header: "vs unpruned", share: 1.1, align: "right" },
      { header: "Wall time", share: 0.9, align: "right" },
    ],
    lab.finetunes.map((f, i) => {
      const prune = lab.prunes[i]?.summary;
      const start = fineTuneStart(prune, f.run);
      const before = `${formatAccuracy(start.accuracy)}${start.recalibrated ? " (recal.)" : ""}`;
      if (f.run === undefined) {
        return [prunedLabel(f.ratio), statusLabel(f.stage, false), "", before, "", "", "", ""];
      }
      const last = lastEpoch(f.run.history);
      const best = bestTestEpoch(f.run.history);
      const planned = f.run.config?.epochs;
      const gap = isFiniteNumber(last?.testAcc) && isFiniteNumber(prune?.testAccBefore)
        ? last.testAcc - prune.testAccBefore
        : undefined;
      return [
        `pruned ${formatRatio(f.ratio)}`,
        statusLabel(f.stage, true),
        planned === undefined ? `${f.run.history.length}` : `${f.run.history.length} / ${planned}`,
        before,
        formatAccuracy(last?.testAcc),
        best ? `${formatAccuracy(best.testAcc)} (${best.epoch})` : MISSING,
        signedPoints(gap),
        formatDuration(f.stage?.seconds ?? historySeconds(f.run.history)),
      ];
    }),
  );
}
