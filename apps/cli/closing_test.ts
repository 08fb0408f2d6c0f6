import assert from "node:assert/strict";
import type { EpochRecord, PruneSummary } from "@slimming/run-format";
import { bestEpoch, prunedShare, shortPruneWarning, trainingClosing } from "./closing.ts";

const record = (epoch: number, testAcc: number): EpochRecord => ({
  epoch,
  trainLoss: 1,
  trainAcc: 50,
  testLoss: 1.5,
  testAcc,
  lr: 0.1,
  seconds: 2,
  imagesPerSecond: 100,
});

Deno.test("trainingClosing: best and last epochs, files, and the JSON object", () => {
  const history = [record(1, 40), record(2, 61), record(3, 61), record(4, 55)];
  assert.equal(bestEpoch(history)?.epoch, 2); // the first of equal accuracies
  const { lines, object } = trainingClosing({
    command: "train",
    out: "runs/a",
    epochs: 4,
    history,
    complete: true,
    resumedFromEpoch: 1,
    seconds: 75,
  });
  const text = lines.join("\n");
  assert.match(text, /train done in .*: 4\/4 epochs \(resumed after epoch 1\)/);
  assert.match(text, /best test accuracy 61\.00% \(epoch 2\); last 55\.00% \(epoch 4\)/);
  assert.match(text, /runs\/a\/best\.safetensors/);
  assert.deepEqual(object.best, { epoch: 2, testAcc: 61 });
  assert.equal(object.last?.epoch, 4);
  assert.equal(object.files.last, "runs/a/last.safetensors");
});

function summary(kept: number[], ratio: number, extra: Partial<PruneSummary> = {}): PruneSummary {
  return {
    ratio,
    threshold: 0.1,
    minChannels: 1,
    cfgBefore: [],
    cfg: [],
    kept,
    channelsBefore: [10, 10],
    guardedLayers: [],
    paramsBefore: 1,
    paramsAfter: 1,
    flopsBefore: 1,
    flopsAfter: 1,
    testAccBefore: 90,
    slimTestAcc: 80,
    imagesPerSecondBefore: 1,
    imagesPerSecondAfter: 1,
    checkpoint: "x",
    ...extra,
  };
}

Deno.test("shortPruneWarning: only when far fewer channels went than asked, naming why", () => {
  assert.equal(prunedShare(summary([5, 5], 0.5)), 0.5);
  assert.equal(shortPruneWarning(summary([5, 5], 0.5)), undefined);
  assert.equal(shortPruneWarning(summary([5, 5], 0.505)), undefined); // within one point
  const guarded = shortPruneWarning(
    summary([10, 10], 0.5, { minChannels: 100000, guardedLayers: [0, 1] }),
  );
  assert.match(guarded ?? "", /^warning: pruned 0\.0% of the channels, not the 50\.0% --ratio/);
  assert.match(guarded ?? "", /--min-channels 100000 kept 2 layer/);
  const rounded = shortPruneWarning(summary([8, 8], 0.5, { roundTo: 8 }));
  assert.match(rounded ?? "", /pruned 20\.0%.*--round-to 8 rounded/);
});
