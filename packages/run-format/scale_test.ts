import assert from "node:assert/strict";
import { PAPER_SETTING, scaledDownFrom } from "./scale.ts";

const paper = {
  depth: 19,
  width: 1,
  epochs: 160,
  finetuneEpochs: 160,
  batchSize: 64,
  recipe: PAPER_SETTING.recipe,
};

Deno.test("scaledDownFrom: the paper's setting scales nothing down", () => {
  assert.deepEqual(scaledDownFrom(paper), []);
});

Deno.test("scaledDownFrom: states exactly the settings that differ, with their values", () => {
  const lines = scaledDownFrom({
    ...paper,
    depth: 11,
    width: 0.125,
    subset: 1000,
    testSubset: 1000,
    epochs: 1,
    finetuneEpochs: 1,
  });
  const text = lines.join("\n");
  assert.match(text, /VGG-11 at an eighth of the width/);
  assert.match(text, /1,000 of the 50,000 training images/);
  assert.match(text, /1,000 of the 10,000 test images/);
  assert.match(text, /^1 sparsity epochs/m);
  assert.match(text, /^1 fine-tune epochs/m);
  assert.doesNotMatch(text, /quarter|20,000|12 sparsity|batch size|budget|learning rate/);
});

Deno.test("scaledDownFrom: names a non-default recipe, recalibration and budget", () => {
  const text = scaledDownFrom({
    ...paper,
    epochs: 8,
    recipe: {
      ...PAPER_SETTING.recipe,
      schedule: "onecycle",
      warmup: 0.2,
      lr: 0.15,
      finetuneLr: 0.15,
      nesterov: true,
      labelSmoothing: 0.1,
      weightDecay: 5e-4,
      recalibrate: 2000,
    },
    timeBudget: 1170,
  }).join("\n");
  assert.match(text, /one-cycle .*20% of the steps to 0.15/);
  assert.match(text, /Nesterov momentum, label smoothing 0.1, weight decay 0.0005/);
  assert.match(text, /2,000 training images/);
  assert.match(text, /20-minute wall-time budget/);
  assert.doesNotMatch(text, /fine-tuning learning rate/);
});

Deno.test("scaledDownFrom: a ResNet or DenseNet lab is set beside the paper's network of its kind", () => {
  assert.deepEqual(scaledDownFrom({ ...paper, arch: "resnet", depth: 164 }), []);
  assert.deepEqual(scaledDownFrom({ ...paper, arch: "densenet", depth: 40, growthRate: 12 }), []);
  assert.deepEqual(scaledDownFrom({ ...paper, arch: "resnet", depth: 20 }), [
    "pre-activation ResNet-20 (paper: pre-activation ResNet-164)",
  ]);
  assert.deepEqual(scaledDownFrom({ ...paper, arch: "densenet", depth: 16 }), [
    "DenseNet-16 (growth rate 12) (paper: DenseNet-40 (growth rate 12))",
  ]);
  assert.deepEqual(scaledDownFrom({ ...paper, arch: "densenet", depth: 40, growthRate: 6 }), [
    "DenseNet-40 (growth rate 6) (paper: DenseNet-40 (growth rate 12))",
  ]);
});
