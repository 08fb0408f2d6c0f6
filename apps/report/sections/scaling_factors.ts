/**
 * Section 2: the distribution of |γ| for each λ (the paper's Fig. 4) and a table of how
 * many factors sparsity training pushed to near zero.
 *
 * @module
 */
import { GAMMA_BINS } from "../build_figures.ts";
import { formatFraction, formatSignificant } from "../format.ts";
import { NEAR_ZERO } from "../gamma_summary.ts";
import { sparsityLabel } from "../labels.ts";
import { keepWithFigure, NOT_RUN_FIGURE, type SectionContext } from "./context.ts";

/** The section heading. */
export const SCALING_HEADING = "2. Scaling factors";

/** Writes section 2. */
export function writeScalingFactors({ report, lab, figures, gammas }: SectionContext): void {
  report.heading(SCALING_HEADING, keepWithFigure(figures.gammaHistograms));
  report.paragraph(
    "Each BN layer multiplies its normalised channels by a learned scaling factor γ. The L1 " +
      "penalty drives the factors of unimportant channels towards zero; those channels can be " +
      "removed with little effect on the output. The histograms count |γ| over all BN channels " +
      "of each model's last checkpoint (last.safetensors).",
  );
  if (figures.gammaHistograms) {
    report.figure(
      figures.gammaHistograms,
      `Figure 2. Distribution of |γ| for each λ (${GAMMA_BINS} bins, same x scale, count scale ` +
        "per panel). Compare the paper's Fig. 4: a larger λ piles the factors up near zero.",
    );
  } else {
    report.paragraph(NOT_RUN_FIGURE, { muted: true });
  }
  if (gammas.length === 0) {
    report.paragraph("lab.json lists no λ values.");
    return;
  }
  const limit = formatSignificant(NEAR_ZERO);
  report.table(
    [
      { header: "Model", share: 1.2 },
      { header: "BN channels", share: 1, align: "right" },
      { header: `|γ| < ${limit}`, share: 1, align: "right" },
      { header: "Share", share: 0.9, align: "right" },
      { header: "Median |γ|", share: 1, align: "right" },
      { header: "Largest |γ|", share: 1, align: "right" },
    ],
    gammas.map((g, i) => {
      const label = sparsityLabel(g.lambda);
      if (g.absGammas === undefined) {
        const problem = lab.sparsity[i]?.run?.gammaProblem;
        return [label, problem ? "no checkpoint" : "not run", "", "", "", ""];
      }
      return [
        label,
        `${g.channels}`,
        `${g.nearZero}`,
        formatFraction(g.channels === 0 ? undefined : g.nearZero / g.channels),
        formatSignificant(g.median),
        formatSignificant(g.max),
      ];
    }),
  );
}
