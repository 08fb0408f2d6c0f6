/**
 * The report's pure parts: binning, number formatting, layer names, γ extraction from a
 * checkpoint, and the problems found in lab data.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeSafetensors, encodeSafetensors, f32 } from "@slimming/tensor-utils";
import { findProblems, type LabData } from "@slimming/report";
import { niceUpperBound } from "../apps/report/build_figures.ts";
import {
  formatCount,
  formatDuration,
  formatLambda,
  formatRatio,
  formatSignificant,
} from "../apps/report/format.ts";
import { bnGammas } from "../apps/report/gammas.ts";
import { countBelow, histogram, maximum, median } from "../apps/report/histogram.ts";
import { convLayerName, convLayerNames } from "../apps/report/layers.ts";
import type { EpochRecord, PruneSummary } from "../apps/report/lab_types.ts";
import { QUARTER_VGG19 } from "../apps/report/testing/synthetic_lab.ts";

Deno.test("histogram: every value lands in the bin that holds it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -2, max: 3, noNaN: true }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 50 }),
      (values, bins) => {
        const result = histogram(values, 0, 1, bins);
        assert.equal(result.length, bins);
        assert.equal(result.reduce((n, b) => n + b.count, 0), values.length);
        assert.equal(result[0].x0, 0);
        assert.equal(result.at(-1)!.x1, 1);
        for (const [k, bin] of result.entries()) {
          const inside = values.filter((v) =>
            (k === 0 ? true : v >= bin.x0) && (k === bins - 1 ? true : v < bin.x1)
          ).length;
          assert.equal(bin.count, inside, `bin ${k}`);
        }
      },
    ),
  );
  assert.deepEqual(histogram([0, 0.5, 1, NaN], 0, 1, 2).map((b) => b.count), [1, 2]);
});

Deno.test("median, maximum and countBelow", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(maximum([0.2, NaN, 0.7, 0.1]), 0.7);
  assert.equal(countBelow([0.001, 0.01, 0.5], 0.01), 1);
});

Deno.test("formatting of λ, ratios, counts, durations", () => {
  assert.equal(formatLambda(0), "0");
  assert.equal(formatLambda(1e-4), "1e-4");
  assert.equal(formatLambda(5e-5), "5e-5");
  assert.equal(formatLambda(0.5), "0.5");
  assert.equal(formatLambda(undefined), "—");
  assert.equal(formatRatio(0.9), "90%");
  assert.equal(formatCount(20_040_000), "20.04 M");
  assert.equal(formatCount(315_600), "315.6 k");
  assert.equal(formatCount(1376), "1,376");
  assert.equal(formatSignificant(0.004213), "0.00421");
  assert.equal(formatSignificant(NaN), "—");
  assert.equal(formatDuration(4.2), "4.2 s");
  assert.equal(formatDuration(65), "1 min 05 s");
  assert.equal(formatDuration(3725), "1 h 02 min");
  assert.equal(niceUpperBound(0.791), 0.8);
  assert.equal(niceUpperBound(1.01), 1.1);
});

Deno.test("conv layer names follow VGG's block numbering", () => {
  const names = convLayerNames(QUARTER_VGG19);
  assert.equal(names.length, 16);
  assert.deepEqual(names.slice(0, 3), ["conv1_1", "conv1_2", "conv2_1"]);
  assert.equal(names[15], "conv5_4");
  assert.equal(convLayerName(undefined, 3), "layer 4");
});

Deno.test("bnGammas keeps the 1-D feature weights in feature order", () => {
  const bytes = encodeSafetensors({
    "feature.0.weight": f32([2, 3, 3, 3], new Float32Array(54)),
    "feature.1.weight": f32([2], new Float32Array([0.5, -0.25])),
    "feature.1.bias": f32([2], new Float32Array(2)),
    "feature.10.weight": f32([1], new Float32Array([0.125])),
    "feature.7.weight": f32([1], new Float32Array([2])),
    "classifier.weight": f32([1, 1], new Float32Array(1)),
  });
  const layers = bnGammas(decodeSafetensors(bytes));
  assert.deepEqual(layers.map((l) => l.name), [
    "feature.1.weight",
    "feature.7.weight",
    "feature.10.weight",
  ]);
  assert.deepEqual(Array.from(layers[0].values), [0.5, -0.25]);
});

function epochs(testAccs: Array<number | null>, loss: number | null = 1): EpochRecord[] {
  return testAccs.map((testAcc, i) => ({
    epoch: i + 1,
    trainLoss: loss as number,
    trainAcc: 50,
    testLoss: 1,
    testAcc: testAcc as number,
    lr: 0.1,
    seconds: 10,
    imagesPerSecond: 100,
  }));
}

function prune(overrides: Partial<PruneSummary> = {}): PruneSummary {
  return {
    ratio: 0.9,
    threshold: 0.0123,
    minChannels: 2,
    cfgBefore: [4, "M", 8],
    cfg: [2, "M", 2],
    kept: [2, 2],
    channelsBefore: [4, 8],
    guardedLayers: [],
    paramsBefore: 1000,
    paramsAfter: 100,
    flopsBefore: 1e6,
    flopsAfter: 1e5,
    testAccBefore: 90,
    maskedTestAcc: 89.5,
    slimTestAcc: 89.4,
    imagesPerSecondBefore: 100,
    imagesPerSecondAfter: 300,
    checkpoint: "p/pruned.safetensors",
    ...overrides,
  };
}

function lab(parts: Partial<LabData>): LabData {
  return {
    runsDir: "/runs",
    info: { stages: [], events: [], lambdas: [], ratios: [] },
    sparsity: [],
    prunes: [],
    finetunes: [],
    events: [],
    ...parts,
  };
}

Deno.test("findProblems: a clean lab has nothing to report", () => {
  const clean = lab({
    sparsity: [{ lambda: 1e-4, run: { dir: "s", history: epochs([50, 80]) } }],
    prunes: [{ ratio: 0.9, summary: prune() }],
    finetunes: [{ ratio: 0.9, run: { dir: "f", history: epochs([89, 90]) } }],
  });
  assert.deepEqual(findProblems(clean), { recorded: [], detected: [] });
});

Deno.test("findProblems: events, divergence, early stop, guard, collapse", () => {
  const result = findProblems(lab({
    events: [{ stage: "train-1e-4", kind: "time-budget", message: "stopped at epoch 2 of 3" }],
    sparsity: [{
      lambda: 1e-4,
      run: {
        dir: "s",
        config: { epochs: 3 } as never,
        history: [...epochs([40]), ...epochs([null], null).map((r) => ({ ...r, epoch: 2 }))],
      },
    }],
    prunes: [{
      ratio: 0.9,
      summary: prune({ guardedLayers: [1], slimTestAcc: 10, maskedTestAcc: 10.2 }),
    }],
    finetunes: [{ ratio: 0.9 }],
  }));
  assert.deepEqual(result.recorded, ["Time budget (train-1e-4): stopped at epoch 2 of 3"]);
  const text = result.detected.join("\n");
  assert.match(text, /Not run: fine-tune 90%/);
  assert.match(text, /not a finite number at epoch 2 .*last finite epoch \(1\) had 40\.00%/);
  assert.match(text, /ran 2 of 3 planned epochs/);
  assert.match(text, /fewer than 2 channels \(the minimum\) in 1 of 2 layers/);
  assert.match(text, /conv2_1 \(kept 2 of 8\)/);
  assert.match(text, /collapsed test accuracy from 90\.00% to 10\.00%/);
  assert.match(text, /Fine-tuning was not run/);
});

Deno.test("findProblems: recovery by fine-tuning and masked/slim mismatch", () => {
  const text = findProblems(lab({
    prunes: [{ ratio: 0.5, summary: prune({ ratio: 0.5, slimTestAcc: 80, maskedTestAcc: 85 }) }],
    finetunes: [{ ratio: 0.5, run: { dir: "f", history: epochs([86, 89.5, 89]) } }],
  })).detected.join("\n");
  assert.match(text, /cost 10\.0 points of test accuracy \(90\.00% → 80\.00%/);
  assert.match(text, /recovered it to 89\.00% \(best 89\.50% at epoch 2\)/);
  assert.match(text, /1\.0 point below the unpruned model/);
  assert.match(text, /masked model .* 85\.00% but the slim model 80\.00%/);
});
