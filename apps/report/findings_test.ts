import assert from "node:assert/strict";
import { findProblems } from "./findings.ts";
import type { EpochRecord, LabData, PruneSummary } from "./lab_types.ts";

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
    sweeps: [],
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
  assert.deepEqual(findProblems(clean), { recorded: [], detected: [], curves: [] });
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

Deno.test("findProblems: BN recalibration is explained whether it helped, barely moved or failed", () => {
  const detectedFor = (overrides: Partial<PruneSummary>, finetuned = false) =>
    findProblems(lab({
      prunes: [{
        ratio: 0.5,
        summary: prune({ ratio: 0.5, recalibrationImages: 2000, ...overrides }),
      }],
      finetunes: [{
        ratio: 0.5,
        run: finetuned
          ? {
            dir: "f",
            config: { checkpoint: "p/recalibrated.safetensors" } as never,
            history: epochs([70, 80]),
          }
          : undefined,
      }],
    })).detected.join("\n");
  const helped = detectedFor({ slimTestAcc: 32.9, recalibratedTestAcc: 67.5 }, true);
  assert.match(helped, /scored 32\.90%, but the same weights .* scored 67\.50%, 34\.6 points more/);
  assert.match(helped, /constant ReLU\(β\) output/);
  assert.match(helped, /gained over the recalibrated model it started from \(67\.50%\)/);
  const small = detectedFor({ slimTestAcc: 89.4, recalibratedTestAcc: 88.3 });
  assert.match(small, /changed test accuracy by −1\.1 points \(89\.40% → 88\.30%\)/);
  assert.match(small, /the prune itself cost only 0\.6 points/);
  const failed = detectedFor({ slimTestAcc: 10, recalibratedTestAcc: 10.7 });
  assert.match(failed, /did not rescue the slim model \(10\.00% → 10\.70%\)/);
  assert.doesNotMatch(detectedFor({}), /BN statistics/, "no recalibration, nothing said");
  assert.doesNotMatch(
    detectedFor({ slimTestAcc: 89.4, recalibratedTestAcc: 89.6 }),
    /BN statistics/,
    "a change under half a point is nothing to explain",
  );
});
