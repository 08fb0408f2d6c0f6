/**
 * Section 5: the paper's curve. Every λ's model pruned at many ratios (the lab's sweeps):
 * accuracy at a few ratios, where each curve's knee lies, the figure with the fine-tuned and
 * published points, and on the page a slider over the sweep.
 *
 * @module
 */
import { pruneScript } from "@slimming/run-format";
import { formatAccuracy, formatCount, formatDuration, formatRatio } from "../format.ts";
import { lambdaColor } from "../figures/theme.ts";
import { sparsityLabel, statusLabel } from "../labels.ts";
import {
  curveAccuracy,
  KNEE_DROP,
  kneeOf,
  kneeWords,
  pointAt,
  tabulatedRatios,
} from "../pruning_curve.ts";
import type { SweepSummary } from "../lab_types.ts";
import type { SectionContext } from "./context.ts";

/** The section heading. */
export const CURVE_HEADING = "5. The pruning curve: what ratio can I afford?";

/** Writes section 5. */
export function writePruningCurve({ report, lab, figures }: SectionContext): void {
  report.heading(CURVE_HEADING, 160);
  const swept = lab.sweeps.flatMap((s) => (s.summary ? [{ ...s, summary: s.summary }] : []));
  if (lab.sweeps.length === 0) {
    report.paragraph(
      "This lab ran no sweep (lab.json plans no sweep stage; `deno task lab --sweep " +
        "0.1:0.9:0.1` adds one, and `deno task sweep --checkpoint X` sweeps any model).",
      { muted: true },
    );
    return;
  }
  if (swept.length === 0) {
    report.paragraph(
      `Not run: ${
        lab.sweeps.map((s) => `${sparsityLabel(s.lambda)} ${statusLabel(s.stage, false)}`).join(
          ", ",
        )
      }.`,
      { muted: true },
    );
    return;
  }
  const first: SweepSummary = swept[0].summary;
  const ratios = first.points.map((p) => p.ratio);
  const recalibrated = first.recalibrationImages > 0;
  report.paragraph(
    `Each λ's best model was pruned at ${ratios.length} ratios from ${formatRatio(ratios[0])} to ` +
      `${formatRatio(ratios.at(-1))} with the same rules as the prunes above (one global ` +
      `threshold, at least ${first.minChannels} channels a layer), and each slim model ` +
      `(${pruneScript(lab.info.arch)}'s) was evaluated on ${
        formatCount(first.testImages)
      } test images` +
      (recalibrated
        ? `, then again after re-estimating its BN statistics on ${
          formatCount(first.recalibrationImages)
        }${first.recalibrationAugmented ? " augmented" : ""} training images`
        : "") +
      ". Nothing was fine-tuned: this is what pruning alone costs. The paper's claim is in " +
      "the shape: with λ > 0 the curve stays flat to a high ratio, with λ = 0 it falls early. " +
      `A curve "holds" while it stays within ${KNEE_DROP} points of its unpruned model. ` +
      `The sweeps took ${formatDuration(swept.reduce((a, s) => a + s.summary.seconds, 0))} in all.`,
  );
  const shown = tabulatedRatios(swept.map((s) => s.summary));
  report.table(
    [
      { header: "Model", share: 0.9 },
      { header: "Unpruned", share: 0.7, align: "right" },
      ...shown.map((r) => ({ header: formatRatio(r), share: 0.6, align: "right" as const })),
      { header: "Knee", share: 1.8 },
    ],
    swept.map((s) => [
      sparsityLabel(s.lambda),
      formatAccuracy(s.summary.testAccBefore),
      ...shown.map((r) => {
        const p = pointAt(s.summary, r);
        return p ? formatAccuracy(curveAccuracy(p)) : "—";
      }),
      kneeWords(kneeOf(s.summary)),
    ]),
  );
  if (figures.pruningCurve) {
    report.figure(
      figures.pruningCurve,
      `Figure 5. Test accuracy against the share of channels pruned (top) and the FLOPs kept ` +
        `(bottom), one colour per λ: ${
          recalibrated ? "BN recalibrated (solid) and " : ""
        }slim (dashed), on ${formatCount(first.testImages)} test images. Diamonds: the pruned ` +
        "models after fine-tuning (best epoch, all test images). Squares: the published " +
        "fine-tuned results at 160 + 160 epochs (the paper gives FLOPs, the reference code " +
        "only ratios).",
    );
  }
  if (report.medium === "pdf") {
    report.paragraph(
      "report.html, beside this PDF, has the same report with a slider over the sweep: at each " +
        "ratio it shows every λ's threshold, parameters, FLOPs, accuracies, speed and kept " +
        "channels per layer.",
      { muted: true },
    );
  } else {
    report.paragraph(
      "Move the slider to see, at each swept ratio, every λ's threshold, parameters, FLOPs, " +
        "accuracies, inference speed and kept channels per layer (from each sweep.json). " +
        "Hover over a point of any figure for its value.",
    );
  }
  report.sweepExplorer(swept.map((s) => ({
    label: sparsityLabel(s.lambda),
    color: lambdaColor(Math.max(0, lab.sparsity.findIndex((x) => x.lambda === s.lambda))),
    summary: s.summary,
  })));
}
