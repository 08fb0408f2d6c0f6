/**
 * Section 7: problems met and how they were solved, from lab.json events and from what
 * the results show (see {@linkcode findProblems}). Says so plainly when there were none.
 *
 * @module
 */
import { findProblems } from "../findings.ts";
import type { SectionContext } from "./context.ts";

/** The section heading. */
export const PROBLEMS_HEADING = "7. Problems met and how they were solved";

/** What the section says when nothing was recorded or found. */
export const NO_PROBLEMS =
  "No problems were detected: lab.json records no events, every planned stage ran to the end, " +
  "no loss became non-finite, the min-channels guard never fired and no prune collapsed " +
  "accuracy.";

/** Writes section 7. */
export function writeProblems({ report, lab }: SectionContext): void {
  report.heading(PROBLEMS_HEADING, 60);
  const { recorded, detected, curves } = findProblems(lab);
  const writeCurves = () => {
    if (curves.length === 0) return;
    report.subheading("Where the pruning curves fall (section 5)", 30);
    report.bullets(curves);
  };
  if (recorded.length === 0 && detected.length === 0) {
    report.paragraph(NO_PROBLEMS);
    writeCurves();
    return;
  }
  report.subheading("Recorded by the lab while it ran (lab.json events)", 30);
  if (recorded.length === 0) report.paragraph("No events were recorded.");
  else report.bullets(recorded);
  report.subheading("Found in the results", 30);
  if (detected.length === 0) {
    report.paragraph(
      "Nothing beyond the events above: no failed or missing stage, no non-finite loss, no " +
        "guarded layer and no collapsed accuracy.",
    );
  } else {
    report.bullets(detected);
  }
  writeCurves();
}
