/**
 * Section 6: this lab's numbers beside the paper's (Table 1, VGGNet on CIFAR-10) and the
 * reference implementation's, with what the lab scaled down named next to them. A CIFAR-100
 * lab is set beside the reference implementation's CIFAR-100 VGG results.
 *
 * @module
 */
import { formatAccuracy, formatCount, formatRatio, MISSING } from "../format.ts";
import { bestTestEpoch } from "../history.ts";
import type { LabData, PruneResult, TrainingRun } from "../lab_types.ts";
import type { SectionContext } from "./context.ts";
import { datasetOf, pruneScript } from "@slimming/run-format";

/** The section heading. */
export const PAPER_HEADING = "6. Beside the paper";

/**
 * Liu et al. 2017, Table 1 (VGGNet, CIFAR-10, 160 + 160 epochs), and the reference
 * implementation's README (Eric-mingjie/network-slimming): test accuracy in %, sizes.
 */
export const PAPER_VGG_CIFAR10 = {
  baselineAcc: 93.66,
  prunedRatio: 0.7,
  prunedAcc: 93.8,
  paramsBefore: 20.04e6,
  paramsAfter: 2.3e6,
  flopsBefore: 7.97e8,
  flopsAfter: 3.91e8,
  referenceBaselineAcc: 93.77,
  referencePrunedAcc: 93.78,
} as const;

/** A published result the lab's numbers are set beside. */
interface PublishedRow {
  readonly label: string;
  /** Share of the channels pruned. */
  readonly ratio: number;
  readonly baselineAcc: number;
  readonly prunedAcc: number;
  readonly paramsBefore?: number;
  readonly paramsAfter?: number;
  readonly flopsBefore?: number;
  readonly flopsAfter?: number;
}

/**
 * The reference implementation's README results (CIFAR-10, 160 + 160 epochs) for the
 * pre-activation ResNet-164 and DenseNet-40 (growth rate 12): test accuracy in %, parameters.
 */
export const REFERENCE_OTHER_CIFAR10: Readonly<Record<"resnet" | "densenet", PublishedRow[]>> = {
  resnet: [
    {
      label: "reference code, 40% pruned",
      ratio: 0.4,
      baselineAcc: 94.75,
      prunedAcc: 95.05,
      paramsBefore: 1.71e6,
      paramsAfter: 1.45e6,
    },
    {
      label: "reference code, 60% pruned",
      ratio: 0.6,
      baselineAcc: 94.75,
      prunedAcc: 93.81,
      paramsBefore: 1.71e6,
      paramsAfter: 1.12e6,
    },
  ],
  densenet: [
    {
      label: "reference code, 40% pruned",
      ratio: 0.4,
      baselineAcc: 94.11,
      prunedAcc: 94.32,
      paramsBefore: 1.07e6,
      paramsAfter: 0.69e6,
    },
    {
      label: "reference code, 60% pruned",
      ratio: 0.6,
      baselineAcc: 94.11,
      prunedAcc: 94.22,
      paramsBefore: 1.07e6,
      paramsAfter: 0.49e6,
    },
  ],
};

/**
 * The reference implementation's README (Eric-mingjie/network-slimming), VGG-19 on
 * CIFAR-100: λ = 1e-4, 50% of the channels pruned, 160 + 160 epochs; test accuracy in %.
 * The README lists 20.04M parameters before pruning, as for CIFAR-10.
 */
export const REFERENCE_VGG_CIFAR100 = {
  prunedRatio: 0.5,
  baselineAcc: 72.12,
  slimAcc: 5.31,
  prunedAcc: 73.32,
  paramsBefore: 20.04e6,
  paramsAfter: 4.93e6,
} as const;

/** What the lab's rows are set beside, and how the section introduces them. */
interface Comparison {
  readonly intro: string;
  readonly rows: string[][];
}

/** How to read the table; `script` is the reference's pruning script for the lab's network. */
function howToRead(script = "vggprune.py"): string {
  return "Baseline: the best test accuracy of the λ = 0 run; “before fine-tuning”: " +
    `${script}'s slim model (and, when the lab recalibrated, the same model with re-estimated ` +
    "BN statistics); after fine-tuning: the best epoch. The lab's setting differs from the " +
    "paper's as listed on page 1, so its accuracies are not expected to reach the paper's; " +
    "what carries over is the shape of the result: how much is pruned, and how much accuracy " +
    "fine-tuning brings back.";
}

/** The paper's and the reference code's CIFAR-10 rows. */
function cifar10Comparison(): Comparison {
  const paper = PAPER_VGG_CIFAR10;
  return {
    intro: "The paper's Table 1 (VGGNet on CIFAR-10, 160 epochs of sparsity training with " +
      "λ = 1e-4, 70% of the channels pruned, 160 epochs of fine-tuning) and the reference " +
      `implementation's README beside this lab's runs. ${howToRead()}`,
    rows: [
      [
        `paper, ${formatRatio(paper.prunedRatio)} pruned`,
        formatAccuracy(paper.baselineAcc),
        "not given",
        formatAccuracy(paper.prunedAcc),
        sizes(paper.paramsBefore, paper.paramsAfter),
        sizes(paper.flopsBefore, paper.flopsAfter),
      ],
      [
        `reference code, ${formatRatio(paper.prunedRatio)}`,
        formatAccuracy(paper.referenceBaselineAcc),
        "not given",
        formatAccuracy(paper.referencePrunedAcc),
        MISSING,
        MISSING,
      ],
    ],
  };
}

/** The reference code's CIFAR-100 row. */
function cifar100Comparison(): Comparison {
  const ref = REFERENCE_VGG_CIFAR100;
  return {
    intro: "The reference implementation's README (VGGNet on CIFAR-100, 160 epochs of " +
      "sparsity training with λ = 1e-4, 50% of the channels pruned, 160 epochs of " +
      "fine-tuning) beside this lab's runs; the paper's own CIFAR-100 row is not repeated " +
      `here. ${howToRead()}`,
    rows: [[
      `reference code, ${formatRatio(ref.prunedRatio)}`,
      formatAccuracy(ref.baselineAcc),
      formatAccuracy(ref.slimAcc),
      formatAccuracy(ref.prunedAcc),
      sizes(ref.paramsBefore, ref.paramsAfter),
      MISSING,
    ]],
  };
}

/** The reference code's CIFAR-10 rows for the pre-activation ResNet-164 or DenseNet-40. */
function otherArchComparison(arch: "resnet" | "densenet"): Comparison {
  return {
    intro:
      `The reference implementation's README results for the ${
        arch === "resnet" ? "pre-activation ResNet-164" : "DenseNet-40 (growth rate 12)"
      } on CIFAR-10 (160 epochs of sparsity training with λ = 1e-5, pruned, 160 epochs of ` +
      `fine-tuning) beside this lab's runs. ${howToRead(pruneScript(arch))}`,
    rows: REFERENCE_OTHER_CIFAR10[arch].map((row) => [
      row.label,
      formatAccuracy(row.baselineAcc),
      "not given",
      formatAccuracy(row.prunedAcc),
      sizes(row.paramsBefore, row.paramsAfter),
      sizes(row.flopsBefore, row.flopsAfter),
    ]),
  };
}

/**
 * The published rows a lab is set beside: by architecture (ResNet, DenseNet: the reference's
 * CIFAR-10 results), else by data set (none recorded: CIFAR-10).
 */
export function paperComparison(
  info: { readonly dataset?: string; readonly arch?: string },
): Comparison {
  if (info.arch === "resnet" || info.arch === "densenet") return otherArchComparison(info.arch);
  return datasetOf(info) === "cifar100" ? cifar100Comparison() : cifar10Comparison();
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
