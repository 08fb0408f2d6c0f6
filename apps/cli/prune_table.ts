/**
 * The table `prune` prints.
 *
 * @module
 */
import type { PruneSummary } from "@slimming/run-format";

function formatCount(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)}G`
    : n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
    ? `${(n / 1e3).toFixed(1)}k`
    : `${n}`;
}

/** The masked model's accuracy, `85.20%`, or `not measured` (a multi-pass prune has none). */
export function formatMasked(summary: PruneSummary): string {
  return summary.maskedTestAcc === undefined
    ? "not measured"
    : `${summary.maskedTestAcc.toFixed(2)}%`;
}

function layerRows(summary: PruneSummary): string[] {
  return summary.channelsBefore.map((before, i) =>
    `${String(i + 1).padStart(5)}  ${String(before).padStart(6)}  ${
      String(summary.kept[i]).padStart(4)
    }  ${
      summary.guardedLayers.includes(i) ? "guarded (threshold kept fewer than min channels)" : ""
    }${
      summary.keptBeforeRounding && summary.keptBeforeRounding[i] !== summary.kept[i]
        ? ` rounded up from ${summary.keptBeforeRounding[i]}`
        : ""
    }`
  );
}

function change(label: string, before: number, after: number): string {
  return `${label.padEnd(12)}${formatCount(before).padStart(10)}   ${
    formatCount(after).padStart(10)
  }   (${(100 * (1 - after / before)).toFixed(1)}% fewer)`;
}

/** The table `prune` prints. */
export function pruneTable(summary: PruneSummary): string {
  const lines = [
    `ratio ${summary.ratio}  threshold |gamma| > ${
      summary.threshold.toPrecision(4)
    }  min channels ${summary.minChannels}`,
    "",
    "layer  before  kept  ",
    ...layerRows(summary),
    "",
    `                 before        after`,
    change("params", summary.paramsBefore, summary.paramsAfter),
    change("FLOPs", summary.flopsBefore, summary.flopsAfter),
    `images/s    ${summary.imagesPerSecondBefore.toFixed(0).padStart(10)}   ${
      summary.imagesPerSecondAfter.toFixed(0).padStart(10)
    }   (x${(summary.imagesPerSecondAfter / summary.imagesPerSecondBefore).toFixed(2)})`,
    "",
    `test accuracy: full ${summary.testAccBefore.toFixed(2)}%  masked ${
      formatMasked(summary)
    }  slim ${summary.slimTestAcc.toFixed(2)}%${
      summary.recalibratedTestAcc === undefined
        ? ""
        : `  recalibrated (BN statistics of ${summary.recalibrationImages} training images) ${
          summary.recalibratedTestAcc.toFixed(2)
        }%`
    }`,
  ];
  return lines.join("\n");
}
