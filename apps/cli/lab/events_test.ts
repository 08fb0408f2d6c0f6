import assert from "node:assert/strict";
import { labPlan, type PruneSummary } from "@slimming/run-format";
import { divergenceEvent, pruneEvents, resumedEvent, timeBudgetEvent } from "./events.ts";

const PRUNED = {
  ratio: 0.9,
  threshold: 0.001234,
  minChannels: 3,
  cfgBefore: [8, 8, "M", 16],
  guardedLayers: [1, 2],
  testAccBefore: 80,
  slimTestAcc: 10,
  maskedTestAcc: 10.1,
} as PruneSummary;

Deno.test("pruneEvents: the guard names VGG layers, a collapse and a masked/slim gap", () => {
  const events = pruneEvents(PRUNED, "prune-90");
  assert.deepEqual(events.map((e) => e.kind), ["guard", "collapse", "note"]);
  assert.ok(events.every((e) => e.stage === "prune-90"));
  assert.match(
    events[0].message,
    /\|γ\| > 0\.00123 left fewer than 3 channels in conv1_2, conv2_1;/,
  );
  assert.match(events[1].message, /fell from 80\.00% to 10\.00% before fine-tuning/);
  assert.match(events[2].message, /masked 10\.10% and slim 10\.00% differ/);
});

Deno.test("pruneEvents: nothing for a clean prune, no note without a masked model", () => {
  const clean = { ...PRUNED, guardedLayers: [], slimTestAcc: 79, maskedTestAcc: 79.01 };
  assert.deepEqual(pruneEvents(clean, "prune-50"), []);
  const { maskedTestAcc: _, ...multiPass } = { ...clean, slimTestAcc: 70 };
  assert.deepEqual(pruneEvents(multiPass, "prune-50").map((e) => e.kind), ["collapse"]);
});

Deno.test("stage events name the stage and its numbers", () => {
  const [train] = labPlan({
    lambdas: [1e-4],
    pruneLambda: 1e-4,
    ratios: [],
    epochs: 12,
    finetuneEpochs: 8,
  });
  assert.deepEqual(resumedEvent(train, 5), {
    stage: "sparsity-1e-4",
    kind: "resumed",
    message:
      "sparsity training, lambda 0.0001: continued after epoch 5 of 12 (the lab had been stopped)",
  });
  assert.match(
    timeBudgetEvent(train, 7, 1140, false).message,
    /stopped early \(epoch 7 of 12\) to stay within the 19:00 budget; later/,
  );
  assert.match(
    timeBudgetEvent(train, 7, 1140, true).message,
    /budget, its last epoch annealing the learning rate to the end of its schedule;/,
  );
  assert.doesNotMatch(timeBudgetEvent(train, 7, 1140, true).message, /fail/);
  const diverged = divergenceEvent(train, "training diverged: loss NaN; the last", "x.d-1", 0.01);
  assert.equal(
    diverged.message,
    "sparsity training, lambda 0.0001: training diverged: loss NaN; the run was kept in x.d-1 " +
      "and restarted with lr 0.01",
  );
});
