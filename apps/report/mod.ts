/**
 * The lab report: a PDF (and its figures as standalone SVG) generated from a runs folder
 * written by the CLI's `lab` command. The report is a pure function of the folder, so it
 * can be regenerated at any time, also for a lab that is only partly run.
 *
 * ```ts
 * import { renderReport } from "@slimming/report";
 * const { pdfPath, svgPaths } = await renderReport({ runsDir: "runs/lab" });
 * ```
 *
 * @module
 */
export {
  buildReport,
  type BuiltReport,
  type RenderedReport,
  renderReport,
  type RenderReportOptions,
} from "./render_report.ts";
export { loadLab, readLabInfo } from "./load_lab.ts";
export { type Findings, findProblems } from "./findings.ts";
export { FIGURE_NAMES } from "./build_figures.ts";
export type {
  FinetuneResult,
  LabData,
  LabInfo,
  LayerGammas,
  PruneResult,
  SparsityResult,
  TrainingRun,
} from "./lab_types.ts";
export { recipeText, scheduleText } from "./schedule_text.ts";
