/**
 * The lab's profiles: how far each scales the paper's setting down.
 *
 * @module
 */

/** A profile: the lab's scale. */
export interface LabProfile {
  readonly depth: number;
  readonly width: number;
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly subset?: number;
  readonly testSubset?: number;
  /** Wall-time budget in seconds; stages are cut short (and say so) to stay within it. */
  readonly timeBudget?: number;
  /** What this profile scales down compared to the paper, in words (for the report). */
  readonly scaledDown: readonly string[];
}

/** The lab's profiles. */
export const LAB_PROFILES: Readonly<Record<string, LabProfile>> = {
  paper: {
    depth: 19,
    width: 1,
    epochs: 160,
    finetuneEpochs: 160,
    batchSize: 64,
    scaledDown: [
      "nothing: VGG-19, 160 + 160 epochs, batch 64, all 50,000 training images (the paper's setting)",
    ],
  },
  lab: {
    depth: 19,
    width: 1,
    epochs: 60,
    finetuneEpochs: 20,
    batchSize: 100,
    scaledDown: [
      "60 sparsity epochs (paper: 160), lr divided by 10 at epochs 30 and 45",
      "20 fine-tune epochs (paper: 160)",
      "batch size 100 (paper: 64)",
    ],
  },
  quick: {
    depth: 19,
    width: 0.25,
    epochs: 12,
    finetuneEpochs: 8,
    batchSize: 64,
    subset: 20000,
    timeBudget: 19 * 60,
    scaledDown: [
      "VGG-19 at a quarter of the width (16 to 128 channels instead of 64 to 512)",
      "20,000 of the 50,000 training images (2,000 per class); the full 10,000-image test set",
      "12 sparsity epochs (paper: 160) and 8 fine-tune epochs (paper: 160)",
      "a 19-minute wall-time budget on a 2-core CPU: a stage that runs late is cut short and says so",
    ],
  },
};
