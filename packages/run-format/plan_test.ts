import assert from "node:assert/strict";
import { BUDGET_RESERVE_SECONDS, labPlan, pendingStage, stageBudget } from "./plan.ts";

const OPTIONS = {
  lambdas: [0, 1e-4, 1e-3],
  pruneLambda: 1e-3,
  ratios: [0.5, 0.9],
  epochs: 12,
  finetuneEpochs: 8,
};

Deno.test("labPlan: trainings, then prunes, then fine-tunes, with their folders and inputs", () => {
  const plan = labPlan(OPTIONS);
  assert.deepEqual(plan.map((s) => s.dir), [
    "sparsity-0",
    "sparsity-1e-4",
    "sparsity-1e-3",
    "prune-50",
    "prune-90",
    "finetune-50",
    "finetune-90",
  ]);
  assert.deepEqual(plan.map((s) => s.epochs), [12, 12, 12, 0, 0, 8, 8]);
  assert.deepEqual(plan.map((s) => s.weight), [12, 12, 12, 1, 1, 3.2, 3.2]);
  assert.equal(plan[3].source, "sparsity-1e-3/best.safetensors");
  assert.equal(plan[6].source, "prune-90/pruned.safetensors");
  assert.equal(plan[0].source, undefined);
  assert.equal(plan[4].name, "prune 90%");
});

Deno.test("labPlan: the pruned λ decides the prune's source", () => {
  const plan = labPlan({ ...OPTIONS, pruneLambda: 0 });
  assert.equal(plan.find((s) => s.kind === "prune")?.source, "sparsity-0/best.safetensors");
});

Deno.test("stageBudget: a stage's weight share of what is left after the reserve", () => {
  const plan = labPlan(OPTIONS);
  const total = plan.reduce((a, s) => a + s.weight, 0);
  const left = 1000;
  assert.equal(stageBudget(plan, 0, undefined), undefined);
  assert.ok(
    Math.abs(stageBudget(plan, 0, left)! - (left - BUDGET_RESERVE_SECONDS) * 12 / total) < 1e-9,
  );
  // The last stage gets all that is left after the reserve.
  assert.equal(stageBudget(plan, plan.length - 1, 500), 500 - BUDGET_RESERVE_SECONDS);
  assert.equal(stageBudget(plan, 2, 5), 0);
  // The first stage's share with the whole plan ahead, then the rest's: they sum to it all.
  const first = stageBudget(plan, 0, left)!;
  const rest = stageBudget(plan.slice(1), 0, left - first)!;
  assert.ok(rest > 0 && rest < left - first);
});

Deno.test("pendingStage: what lab.json says about a stage not run yet", () => {
  const [train, , , prune] = labPlan(OPTIONS);
  assert.deepEqual(pendingStage(train), {
    name: "sparsity training, lambda 0",
    dir: "sparsity-0",
    kind: "train",
    status: "pending",
    seconds: 0,
    lambda: 0,
    plannedEpochs: 12,
  });
  assert.deepEqual(pendingStage(prune), {
    name: "prune 50%",
    dir: "prune-50",
    kind: "prune",
    status: "pending",
    seconds: 0,
    ratio: 0.5,
  });
});

Deno.test("labPlan: a budget plan's estimates are the stages' weights", () => {
  const plan = labPlan({ ...OPTIONS, estimate: { train: 300, prune: 9, finetune: [80, 50] } });
  assert.deepEqual(plan.map((s) => s.weight), [300, 300, 300, 9, 9, 80, 50]);
});
