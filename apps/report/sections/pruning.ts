/**
 * Section 3: for each prune ratio, the threshold, size, speed and accuracy before and
 * after, the pruned cfg, and per-layer channel counts with the guarded layers marked.
 *
 * @module
 */
import { pruneOrigin } from "@slimming/run-format";
import {
  formatAccuracy,
  formatCfg,
  formatChange,
  formatCount,
  formatLambda,
  formatRate,
  formatRatio,
  formatSignificant,
  MISSING,
} from "../format.ts";
import { statusLabel } from "../labels.ts";
import type { PruneSummary } from "../lab_types.ts";
import { convLayerName } from "../layers.ts";
import { NOT_RUN_FIGURE, type SectionContext } from "./context.ts";

/** The section heading. */
export const PRUNING_HEADING = "3. Pruning";

/** A row of the per-ratio table: its label and how it prints a prune.json. */
export type PruneRow = readonly [string, (p: PruneSummary) => string];

/** The rows of the per-ratio table, in order. */
export const PRUNE_ROWS: readonly PruneRow[] = [
  ["Threshold on |γ|", (p) => formatSignificant(p.threshold)],
  ["Channels kept", (p) => {
    const kept = p.kept.reduce((a, b) => a + b, 0);
    const before = p.channelsBefore.reduce((a, b) => a + b, 0);
    return `${kept} of ${before}`;
  }],
  ["Parameters before", (p) => formatCount(p.paramsBefore)],
  [
    "Parameters after",
    (p) => `${formatCount(p.paramsAfter)} (${formatChange(p.paramsBefore, p.paramsAfter)})`,
  ],
  ["FLOPs before", (p) => formatCount(p.flopsBefore)],
  [
    "FLOPs after",
    (p) => `${formatCount(p.flopsAfter)} (${formatChange(p.flopsBefore, p.flopsAfter)})`,
  ],
  ["Test acc. before pruning", (p) => formatAccuracy(p.testAccBefore)],
  [
    "Test acc. masked (γ = 0)",
    // A multi-pass prune has no masked model: prune.json leaves the number out.
    (p) => (p.maskedTestAcc === undefined ? "not measured" : formatAccuracy(p.maskedTestAcc)),
  ],
  ["Test acc. slim (reference's model)", (p) => formatAccuracy(p.slimTestAcc)],
  [
    "Test acc. slim, BN recalibrated",
    (p) =>
      p.recalibratedTestAcc === undefined
        ? "not run"
        : `${formatAccuracy(p.recalibratedTestAcc)} (${formatCount(p.recalibrationImages)}${
          p.recalibrationAugmented ? " augm." : ""
        } images)`,
  ],
  ["Inference before", (p) => formatRate(p.imagesPerSecondBefore)],
  ["Inference after", (p) =>
    `${formatRate(p.imagesPerSecondAfter)}` +
    (p.imagesPerSecondBefore > 0 && p.imagesPerSecondAfter > 0
      ? ` (× ${(p.imagesPerSecondAfter / p.imagesPerSecondBefore).toFixed(2)})`
      : "")],
  [
    "Layers guarded (min. channels)",
    (p) =>
      p.guardedLayers.length === 0
        ? "none"
        : `${p.guardedLayers.length} (min. ${p.minChannels ?? MISSING})`,
  ],
];

/** Writes section 3. */
export function writePruning({ report, lab, figures }: SectionContext): void {
  report.heading(PRUNING_HEADING);
  const source = lab.pruneLambda === undefined
    ? "sparsity-trained"
    : `λ = ${formatLambda(lab.pruneLambda)}`;
  report.paragraph(
    `The ${source} model is pruned globally: all |γ| of the network are ranked together and ` +
      "the threshold is the |γ| at the ratio's position in that ranking. Channels with |γ| at " +
      "or below it are removed, with the matching input channels of the next layer; a layer " +
      "that would keep fewer than the minimum keeps its largest-|γ| channels instead (the " +
      "guard). “Masked” zeroes the pruned γ inside the full network; " +
      "“slim” is the smaller network built from the kept channels, before fine-tuning, " +
      `${pruneOrigin(lab.info.arch)}; “BN recalibrated” is the same network with ` +
      "each BN layer's running mean and variance re-estimated by forward passes over training " +
      "images, augmented as in training where the table says so (no weight changes; the " +
      "problems section says what it did). FLOPs " +
      "count 2 × multiply-adds for one 32 × 32 image; inference speed is measured in eval mode.",
  );
  if (lab.prunes.length === 0) {
    report.paragraph("lab.json lists no prune ratios.");
    return;
  }
  report.table(
    [
      { header: "", share: 1.6 },
      ...lab.prunes.map((p) => ({
        header: `Ratio ${formatRatio(p.ratio)}`,
        share: 1.2,
        align: "right" as const,
      })),
    ],
    PRUNE_ROWS.map(([label, value]) => [
      label,
      ...lab.prunes.map((p) => p.summary ? value(p.summary) : statusLabel(p.stage, false)),
    ]),
  );
  if (figures.prunedChannels) {
    report.figure(
      figures.prunedChannels,
      "Figure 3. Channels per BN layer before pruning and after each prune. A triangle marks a " +
        "layer where the min-channels guard fired (the threshold would have left fewer channels).",
    );
  } else {
    report.paragraph(NOT_RUN_FIGURE, { muted: true });
  }
  for (const p of lab.prunes) {
    if (!p.summary) continue;
    const guarded = p.summary.guardedLayers.map((i) =>
      `${convLayerName(p.summary!, i)} (${p.summary!.kept[i]} of ${p.summary!.channelsBefore[i]})`
    );
    report.paragraph(
      `Ratio ${formatRatio(p.ratio)}: cfg ${formatCfg(p.summary.cfg)}` +
        (guarded.length > 0 ? `; guarded layers: ${guarded.join(", ")}.` : "; no layer guarded."),
      { small: true },
    );
  }
}
