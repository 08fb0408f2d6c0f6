/**
 * Section 6: this lab's numbers beside the published ones its architecture's descriptor
 * lists for its data set (the paper's Table 1 and the reference implementation's README),
 * with what the lab scaled down named next to them.
 *
 * @module
 */
import { formatAccuracy, formatCount, formatRatio, MISSING } from "../format.ts";
import { bestTestEpoch } from "../history.ts";
import type { LabData, PruneResult, TrainingRun } from "../lab_types.ts";
import type { SectionContext } from "./context.ts";
import { datasetOf } from "@slimming/run-format";
import { archInfoOfTag, type PublishedRow } from "@slimming/architectures/info";

/** The section heading. */
export const PAPER_HEADING = "6. Beside the paper";

/** What the lab's rows are set beside, and how the section introduces them. */
interface Comparison {
  readonly intro: string;
  readonly rows: string[][];
}

/** How to read the table; `script` is the reference's pruning script for the lab's network. */
function howToRead(script: string): string {
  return "Baseline: the best test accuracy of the λ = 0 run; “before fine-tuning”: " +
    `${script}'s slim model (and, when the lab recalibrated, the same model with re-estimated ` +
    "BN statistics); after fine-tuning: the best epoch. The lab's setting differs from the " +
    "paper's as listed on page 1, so its accuracies are not expected to reach the paper's; " +
    "what carries over is the shape of the result: how much is pruned, and how much accuracy " +
    "fine-tuning brings back.";
}

/** A published row as the table's cells. */
function publishedCells(row: PublishedRow): string[] {
  return [
    row.label,
    formatAccuracy(row.baselineAcc),
    row.slimAcc === undefined ? "not given" : formatAccuracy(row.slimAcc),
    formatAccuracy(row.prunedAcc),
    sizes(row.paramsBefore, row.paramsAfter),
    sizes(row.flopsBefore, row.flopsAfter),
  ];
}

/**
 * The published rows a lab is set beside: its architecture's for its data set (none
 * recorded: CIFAR-10), else its architecture's CIFAR-10 ones.
 */
export function paperComparison(
  info: { readonly dataset?: string; readonly arch?: string },
): Comparison {
  const arch = archInfoOfTag(info.arch, "lab.json");
  const published = arch.published[datasetOf(info)] ?? arch.published.cifar10;
  return {
    intro: `${published?.intro ?? "No published results for this network."} ${
      howToRead(arch.referenceScript)
    }`,
    rows: (published?.rows ?? []).map(publishedCells),
  };
}

function best(run: TrainingRun | undefined): string {
  const epoch = run && bestTestEpoch(run.history);
  return epoch ? formatAccuracy(epoch.testAcc) : "not run";
}

function sizes(before: number | undefined, after: number | undefined): string {
  if (before === undefined || after === undefined) return MISSING;
  return `${formatCount(before)} → ${formatCount(after)} (−${
    Math.round(100 * (1 - after / before))
  }%)`;
}

function ours(lab: LabData, prune: PruneResult, i: number): string[] {
  const p = prune.summary;
  const finetune = lab.finetunes[i]?.run;
  const recal = p?.recalibratedTestAcc;
  return [
    `ours, ${formatRatio(prune.ratio)} pruned`,
    best(lab.sparsity.find((s) => s.lambda === 0)?.run),
    p
      ? `${formatAccuracy(p.slimTestAcc)}${
        recal === undefined ? "" : ` / ${formatAccuracy(recal)} recal.`
      }`
      : "not run",
    best(finetune),
    sizes(p?.paramsBefore, p?.paramsAfter),
    sizes(p?.flopsBefore, p?.flopsAfter),
  ];
}

/** Writes section 6. */
export function writePaperComparison({ report, lab }: SectionContext): void {
  const comparison = paperComparison(lab.info);
  report.heading(PAPER_HEADING, 160);
  report.paragraph(comparison.intro);
  report.table(
    [
      { header: "", share: 1.3 },
      { header: "Baseline", share: 0.8, align: "right" },
      { header: "Before fine-tuning", share: 1.35, align: "right" },
      { header: "After fine-tuning", share: 0.9, align: "right" },
      { header: "Parameters", share: 1.5, align: "right" },
      { header: "FLOPs", share: 1.5, align: "right" },
    ],
    [...comparison.rows, ...lab.prunes.map((p, i) => ours(lab, p, i))],
  );
}
