import assert from "node:assert/strict";
import { stageDir, stageName } from "./stages.ts";

Deno.test("stageDir: λ in exponent form, ratios in percent", () => {
  assert.equal(stageDir("train", 0), "sparsity-0");
  assert.equal(stageDir("train", 1e-4), "sparsity-1e-4");
  assert.equal(stageDir("train", 0.00025), "sparsity-2.5e-4");
  assert.equal(stageDir("train", 10), "sparsity-1e1");
  assert.equal(stageDir("prune", 0.9), "prune-90");
  assert.equal(stageDir("finetune", 0.5), "finetune-50");
  assert.equal(stageDir("prune", 0.555), "prune-56");
  assert.equal(stageDir("sweep", 8e-4), "sweep-8e-4");
  assert.equal(stageDir("sweep", 0), "sweep-0");
});

Deno.test("stageName: what the log and the report show", () => {
  assert.equal(stageName("train", 1e-4), "sparsity training, lambda 0.0001");
  assert.equal(stageName("prune", 0.9), "prune 90%");
  assert.equal(stageName("finetune", 0.5), "fine-tune 50%");
  assert.equal(stageName("sweep", 8e-4), "pruning sweep, lambda 0.0008");
});
