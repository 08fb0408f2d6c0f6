/**
 * Section 0: title, the lab's settings, what the profile scaled down vs the paper, and a
 * table of stages with their status and wall time.
 *
 * @module
 */
import { formatCfg, formatDuration, formatLambda, formatRatio, MISSING } from "../format.ts";
import { statusLabel } from "../labels.ts";
import type { LabData, LabStage } from "../lab_types.ts";
import type { SectionContext } from "./context.ts";

/** The report title. */
export const REPORT_TITLE = "Network Slimming on CIFAR-10";

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

function stageParameter(stage: LabStage): string {
  if (stage.lambda !== undefined) return `λ = ${formatLambda(stage.lambda)}`;
  if (stage.ratio !== undefined) return `ratio ${formatRatio(stage.ratio)}`;
  return "";
}

/** Writes the title and section 0. */
export function writeOverview({ report, lab }: SectionContext): void {
  const info = lab.info;
  report.title(
    REPORT_TITLE,
    `Reproduction of “Learning Efficient Convolutional Networks through Network Slimming” ` +
      `(Liu et al., ICCV 2017). Generated from ${lab.runsDir}; lab started ` +
      `${text(info.startedAt)}, ${
        info.finishedAt ? `finished ${info.finishedAt}` : "not finished"
      }.`,
  );
  report.paragraph(
    "VGG is trained with an L1 penalty on the batch-norm scaling factors γ, channels with " +
      "small |γ| are pruned with one global threshold, and the slimmer network is fine-tuned. " +
      "Everything below is computed from the runs folder alone; a stage that has not run is " +
      "marked “not run”.",
  );

  report.subheading("Run settings");
  const subset = info.subset === undefined ? "full training set" : `${info.subset} images`;
  const architecture = [
    info.depth === undefined ? undefined : `VGG-${info.depth}`,
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
      ["Data source", text(info.dataSource), "Backend", text(info.backend)],
      ["Training subset", subset, "Batch size", text(info.batchSize)],
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

  report.subheading("What this profile scaled down vs the paper");
  if (info.scaledDown === undefined) {
    report.paragraph("Not recorded: lab.json has no “scaledDown” list.", { muted: true });
  } else if (info.scaledDown.length === 0) {
    report.paragraph("Nothing: lab.json lists no differences from the paper's setup.");
  } else {
    report.bullets(info.scaledDown);
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
