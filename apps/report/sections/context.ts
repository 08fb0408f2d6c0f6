/**
 * What every report section draws from: the document being written, the lab's data, its
 * figures and its |γ| statistics.
 *
 * @module
 */
import type { ReportFigures } from "../build_figures.ts";
import type { Figure } from "../figures/svg.ts";
import type { GammaSummary } from "../gamma_summary.ts";
import type { LabData } from "../lab_types.ts";
import type { ReportWriter } from "../report_writer.ts";

/** Inputs of a section writer. */
export interface SectionContext {
  readonly report: ReportWriter;
  readonly lab: LabData;
  readonly figures: ReportFigures;
  readonly gammas: readonly GammaSummary[];
}

/** Text printed where a figure's stages were not run. */
export const NOT_RUN_FIGURE = "Not run: no data for this figure yet.";

/** Space to keep with a section heading whose introduction is followed by `figure`. */
export function keepWithFigure(figure: Figure | undefined): number {
  return figure === undefined ? 120 : Math.min(figure.height + 90, 420);
}
