/**
 * Section 0: title, the lab's settings, what the profile scaled down vs the paper, and a
 * table of stages with their status and wall time.
 *
 * @module
 */
import { datasetTitle, modelName, planWords, scaledDownFrom } from "@slimming/run-format";
import {
  formatCfg,
  formatCount,
  formatDuration,
  formatLambda,
  formatRatio,
  MISSING,
} from "../format.ts";
import { recipeText } from "../schedule_text.ts";
import { statusLabel } from "../labels.ts";
import type { LabData, LabStage } from "../lab_types.ts";
import type { SectionContext } from "./context.ts";

/** The report title of a lab on the data set lab.json names (none: an older CIFAR-10 lab). */
export function reportTitle(info: { readonly dataset?: string }): string {
  return `Network Slimming on ${datasetTitle(info)}`;
}

/** The report title of a CIFAR-10 lab. */
export const REPORT_TITLE: string = reportTitle({});

function text(value: string | number | undefined): string {
  return value === undefined || value === "" ? MISSING : String(value);
}

function hasData(lab: LabData, stage: LabStage): boolean {
  if (stage.kind === "train") {
    return lab.sparsity.some((s) => s.stage === stage && s.run !== undefined);
  }
  if (stage.kind === "prune") return lab.prunes.some((p) => p.stage === stage && p.summary);
  if (stage.kind === "finetune") {
    return lab.finetunes.some((f) => f.stage === stage && f.run !== undefined);
  }
  return stage.status === "done";
}

/**
 * The lab's differences from the paper, computed from the settings lab.json records (the
 * list lab.json itself carries only for labs that did not record their settings).
 */
function labChanges(info: LabData["info"]): string[] | undefined {
  const { depth, width, epochs, finetuneEpochs, batchSize } = info;
  if (
    depth === undefined || width === undefined || epochs === undefined ||
    finetuneEpochs === undefined || batchSize === undefined
  ) {
    return info.scaledDown;
  }
  return scaledDownFrom({
    arch: info.arch,
    growthRate: info.growthRate,
    depth,
    width,
    epochs,
    finetuneEpochs,
    batchSize,
    subset: info.subset,
    testSubset: info.testSubset,
    recipe: info.recipe,
    timeBudget: info.timeBudget,
    imagesPerEpoch: info.imagesPerEpoch,
    finetuneImagesPerEpoch: info.finetuneImagesPerEpoch,
    planReason: info.plan && planWords(info.plan),
  });
}

function stageParameter(stage: LabStage): string {
  if (stage.lambda !== undefined) return `λ = ${formatLambda(stage.lambda)}`;
  if (stage.ratio !== undefined) return `ratio ${formatRatio(stage.ratio)}`;
  return "";
}

/** Writes the title and section 0. */
export function writeOverview({ report, lab }: SectionContext): void {
  const info = lab.info;
  report.title(
    reportTitle(info),
    `Reproduction of “Learning Efficient Convolutional Networks through Network Slimming” ` +
      `(Liu et al., ICCV 2017). Generated from ${lab.runsDir}; lab started ` +
      `${text(info.startedAt)}, ${
        info.finishedAt ? `finished ${info.finishedAt}` : "not finished"
      }.`,
  );
  report.paragraph(
    `${modelName({ arch: info.arch })} is trained with an L1 penalty on the batch-norm ` +
      "scaling factors γ, channels with " +
      "small |γ| are pruned with one global threshold, and the slimmer network is fine-tuned. " +
      "Everything below is computed from the runs folder alone; a stage that has not run is " +
      "marked “not run”.",
  );

  report.subheading("Run settings");
  const subset = info.subset === undefined
    ? "all 50,000 images"
    : `${formatCount(info.subset)} images`;
  const testSet = info.testSubset === undefined
    ? "all 10,000 images"
    : `${formatCount(info.testSubset)} images`;
  const architecture = [
    info.depth === undefined ? undefined : modelName(info),
    info.width === undefined ? undefined : `width × ${info.width}`,
  ].filter((v) => v !== undefined).join(", ");
  report.table(
    [
      { header: "Setting", share: 1 },
      { header: "Value", share: 1.4 },
      { header: "Setting", share: 1 },
      { header: "Value", share: 1.4 },
    ],
    [
      ["Profile", text(info.profile), "Seed", text(info.seed)],
      ["Data", `${datasetTitle(info)}: ${text(info.dataSource)}`, "Backend", text(info.backend)],
      ["Training images", subset, "Test images", testSet],
      ["Batch size", text(info.batchSize), "Min. channels per layer", text(info.minChannels)],
      ["Epochs (sparsity)", text(info.epochs), "Epochs (fine-tune)", text(info.finetuneEpochs)],
      [
        "λ values",
        lab.sparsity.map((s) => formatLambda(s.lambda)).join(", ") || MISSING,
        "Pruned model",
        lab.pruneLambda === undefined ? MISSING : `λ = ${formatLambda(lab.pruneLambda)}`,
      ],
      [
        "Prune ratios",
        lab.prunes.map((p) => formatRatio(p.ratio)).join(", ") || MISSING,
        "Network",
        architecture || MISSING,
      ],
    ],
  );
  report.paragraph(`cfg: ${formatCfg(info.cfg)}`, { small: true });
  if (info.recipe) report.paragraph(`Recipe: ${recipeText(info.recipe)}.`, { small: true });

  report.subheading("What this lab changed from the paper's setting");
  const changes = labChanges(info);
  if (changes === undefined) {
    report.paragraph("Not recorded: lab.json has no settings to compare.", { muted: true });
  } else if (changes.length === 0) {
    report.paragraph("Nothing: the lab ran the paper's setting.");
  } else {
    report.bullets(changes);
  }

  report.subheading("Stages");
  if (info.stages.length === 0) {
    report.paragraph("lab.json lists no stages: nothing has run yet.");
    return;
  }
  const total = info.stages.reduce((n, s) => n + (Number.isFinite(s.seconds) ? s.seconds : 0), 0);
  report.table(
    [
      { header: "Stage", share: 2 },
      { header: "Kind", share: 1 },
      { header: "λ / ratio", share: 1.2 },
      { header: "Status", share: 1.3 },
      { header: "Wall time", share: 1.1, align: "right" },
    ],
    [
      ...info.stages.map((stage) => [
        stage.name,
        stage.kind,
        stageParameter(stage),
        statusLabel(stage, hasData(lab, stage)),
        stage.status === "pending" ? MISSING : formatDuration(stage.seconds),
      ]),
      ["Total", "", "", "", formatDuration(total)],
    ],
    { boldRows: [info.stages.length] },
  );
}
