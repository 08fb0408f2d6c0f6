import assert from "node:assert/strict";
import { labPlan, type LabSummary } from "@slimming/run-format";
import { CIFAR100_SPEC } from "@slimming/cifar";
import { labSummary, stageRecord } from "./summary.ts";
import type { LabContext } from "./context.ts";
import { parseOptions } from "../cli_args.ts";
import { LAB_SPECS, labOptions } from "./options.ts";

const PLAN = labPlan({
  lambdas: [0],
  pruneLambda: 0,
  ratios: [0.5],
  epochs: 2,
  finetuneEpochs: 1,
});

Deno.test("stageRecord: a stage done earlier keeps the time it took then", () => {
  const previous = {
    stages: [{ ...PLAN[0], status: "done", seconds: 123 }],
  } as unknown as LabSummary;
  const done = { status: "done", alreadyDone: true } as const;
  assert.equal(stageRecord(PLAN[0], done, 0.5, previous).seconds, 123);
  assert.equal(stageRecord(PLAN[0], { ...done, alreadyDone: false }, 0.5, previous).seconds, 0.5);
  assert.equal(stageRecord(PLAN[1], done, 0.5, previous).seconds, 0.5);
  assert.deepEqual(stageRecord(PLAN[1], { status: "failed", alreadyDone: false }, 2, undefined), {
    name: "prune 50%",
    dir: "prune-50",
    kind: "prune",
    status: "failed",
    seconds: 2,
    ratio: 0.5,
  });
});

Deno.test("labSummary records the data set the lab loaded", () => {
  const options = labOptions(parseOptions(["--dataset", "cifar100"], LAB_SPECS, "lab"));
  const ctx = {
    options,
    spec: { arch: "vgg", cfg: [8, "M", 16] },
    backend: { name: "cpu", description: "test" },
    data: { spec: CIFAR100_SPEC, source: "synthetic" },
    events: [],
  } as unknown as LabContext;
  const summary = labSummary(ctx, { plan: PLAN, stages: [], startedAt: "now" }, false);
  assert.equal(summary.dataset, "cifar100");
  assert.equal(summary.dataSource, "synthetic");
});
