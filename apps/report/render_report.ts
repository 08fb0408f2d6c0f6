/**
 * The whole report: read the runs folder, build the figures, lay out the PDF and the page,
 * then write `report.pdf`, `report.html` and `figures/*.svg` atomically. Nothing is written unless everything was
 * built, and the output depends on the runs folder alone (same input, same bytes).
 *
 * @module
 */
import { join } from "node:path";
import { WriteError, writeFileAtomic } from "@slimming/tensor-utils/core";
import { buildFigures, FIGURE_NAMES, type ReportFigures } from "./build_figures.ts";
import type { Figure } from "./figures/svg.ts";
import { createTextMeasure, loadFonts } from "./fonts.ts";
import { summarizeGammas } from "./gamma_summary.ts";
import type { LabData } from "./lab_types.ts";
import { loadLab } from "./load_lab.ts";
import { ReportDocument } from "./pdf/report_document.ts";
import { HtmlReport } from "./html/html_report.ts";
import { LAB_FILES } from "@slimming/run-format";
import type { SectionContext } from "./sections/context.ts";
import { writeFinetuning } from "./sections/finetuning.ts";
import { reportTitle, writeOverview } from "./sections/overview.ts";
import { writePaperComparison } from "./sections/paper.ts";
import { writeProblems } from "./sections/problems.ts";
import { writePruning } from "./sections/pruning.ts";
import { writePruningCurve } from "./sections/pruning_curve.ts";
import { writeScalingFactors } from "./sections/scaling_factors.ts";
import { writeSparsity } from "./sections/sparsity.ts";

/** Where to read the lab and where to write the report. */
export interface RenderReportOptions {
  /** The lab folder (holds lab.json). */
  readonly runsDir: string;
  /** Folder for report.pdf and figures/ (default: `runsDir`). */
  readonly outDir?: string;
}

/** The files {@linkcode renderReport} wrote. */
export interface RenderedReport {
  readonly pdfPath: string;
  /** The same report as one self-contained page, with the sweep explorer. */
  readonly htmlPath: string;
  /** One standalone SVG per figure that had data, in report order. */
  readonly svgPaths: string[];
}

/** The report's PDF and figures, in memory. */
export interface BuiltReport {
  readonly pdf: Uint8Array;
  readonly html: string;
  readonly figures: Figure[];
  /** SVG features the PDF could not draw (empty when every figure was drawn in full). */
  readonly warnings: string[];
}

function reportDate(lab: LabData): Date {
  for (const text of [lab.info.finishedAt, lab.info.startedAt]) {
    const date = text === undefined ? undefined : new Date(text);
    if (date && !Number.isNaN(date.getTime())) return date;
  }
  return new Date(0);
}

/** Every section, in order, into `report`. */
function writeSections(context: SectionContext): void {
  writeOverview(context);
  writeSparsity(context);
  writeScalingFactors(context);
  writePruning(context);
  writeFinetuning(context);
  writePruningCurve(context);
  writePaperComparison(context);
  writeProblems(context);
}

/** Lays out the report of an already-loaded lab, as a PDF and as a page. */
export async function buildReport(lab: LabData): Promise<BuiltReport> {
  const fonts = await loadFonts();
  const gammas = summarizeGammas(lab.sparsity);
  const figures: ReportFigures = buildFigures(lab, gammas, createTextMeasure(fonts));
  const title = reportTitle(lab.info);
  const footer = `${title} · ${lab.info.profile ?? "lab"} profile`;
  const pdf = new ReportDocument(fonts, {
    title,
    subject: `Network Slimming lab report (${lab.info.profile ?? "unknown"} profile)`,
    date: reportDate(lab),
    footer,
  });
  writeSections({ report: pdf, lab, figures, gammas });
  const page = new HtmlReport({ title, footer });
  writeSections({ report: page, lab, figures, gammas });
  const ordered = [
    figures.sparsityAccuracy,
    figures.gammaHistograms,
    figures.prunedChannels,
    figures.finetuneAccuracy,
    figures.pruningCurve,
  ].filter((f): f is Figure => f !== undefined);
  return {
    pdf: await pdf.finish(),
    html: page.finish(),
    figures: ordered,
    warnings: pdf.figureWarnings,
  };
}

async function makeDir(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new WriteError(`cannot create ${path}: ${why}`);
  }
}

/**
 * Renders `<outDir>/report.pdf`, `<outDir>/report.html` and `<outDir>/figures/<name>.svg` from the lab in
 * `runsDir`. Figures of a previous render that now have no data are removed.
 * Throws `DataError` for a missing or malformed lab, `WriteError` when it cannot write.
 */
export async function renderReport(options: RenderReportOptions): Promise<RenderedReport> {
  const outDir = options.outDir ?? options.runsDir;
  const lab = await loadLab(options.runsDir);
  const built = await buildReport(lab);
  const figuresDir = join(outDir, "figures");
  await makeDir(figuresDir);
  const svgPaths: string[] = [];
  for (const figure of built.figures) {
    const path = join(figuresDir, `${figure.name}.svg`);
    await writeFileAtomic(path, figure.svg + "\n");
    svgPaths.push(path);
  }
  for (const name of FIGURE_NAMES) {
    if (built.figures.some((f) => f.name === name)) continue;
    await Deno.remove(join(figuresDir, `${name}.svg`)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  const pdfPath = join(outDir, LAB_FILES.report);
  await writeFileAtomic(pdfPath, built.pdf);
  const htmlPath = join(outDir, LAB_FILES.html);
  await writeFileAtomic(htmlPath, built.html);
  return { pdfPath, htmlPath, svgPaths };
}
