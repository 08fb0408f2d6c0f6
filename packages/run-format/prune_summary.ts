/**
 * prune.json from what pruning computed and what was measured.
 *
 * @module
 */
import type { PruneCounts, PruneMeasures, PruneSummary } from "./records.ts";

/**
 * The prune.json record: the counts of `counts` (only the fields prune.json holds; a
 * slimming `PruneReport` fits) and the measured accuracies and speeds. A measure left out
 * (the masked accuracy of a multi-pass prune) stays out.
 */
export function pruneSummary(counts: PruneCounts, measures: PruneMeasures): PruneSummary {
  return {
    ...(measures.arch === undefined ? {} : { arch: measures.arch }),
    ...(measures.layerNames === undefined ? {} : { layerNames: [...measures.layerNames] }),
    ratio: measures.ratio,
    threshold: counts.threshold,
    minChannels: measures.minChannels,
    cfgBefore: counts.cfgBefore,
    cfg: counts.cfg,
    kept: counts.kept,
    ...(measures.roundTo === undefined
      ? {}
      : { roundTo: measures.roundTo, keptBeforeRounding: measures.keptBeforeRounding }),
    channelsBefore: counts.channelsBefore,
    guardedLayers: counts.guardedLayers,
    paramsBefore: counts.paramsBefore,
    paramsAfter: counts.paramsAfter,
    flopsBefore: counts.flopsBefore,
    flopsAfter: counts.flopsAfter,
    testAccBefore: measures.testAccBefore,
    ...(measures.maskedTestAcc === undefined ? {} : { maskedTestAcc: measures.maskedTestAcc }),
    slimTestAcc: measures.slimTestAcc,
    ...(measures.recalibratedTestAcc === undefined ? {} : {
      recalibratedTestAcc: measures.recalibratedTestAcc,
      recalibrationImages: measures.recalibrationImages,
      ...(measures.recalibrationAugmented ? { recalibrationAugmented: true } : {}),
    }),
    imagesPerSecondBefore: measures.imagesPerSecondBefore,
    imagesPerSecondAfter: measures.imagesPerSecondAfter,
    checkpoint: measures.checkpoint,
  };
}
