import assert from "node:assert/strict";
import { parseOptions } from "../cli_args.ts";
import { LAB_SPECS, labOptions } from "./options.ts";
import { LAB_PROFILES } from "./profiles.ts";

const parse = (...args: string[]) => labOptions(parseOptions(args, LAB_SPECS, "lab"));

Deno.test("labOptions: the profile's scale, overridden option by option", () => {
  const quick = parse();
  assert.equal(quick.profileName, "quick");
  assert.equal(quick.width, LAB_PROFILES.quick.width);
  assert.equal(quick.timeBudget, LAB_PROFILES.quick.timeBudget);
  assert.deepEqual(quick.recipe, LAB_PROFILES.quick.recipe);
  assert.deepEqual(quick.lambdas, LAB_PROFILES.quick.lambdas);
  assert.equal(quick.pruneLambda, Math.max(...LAB_PROFILES.quick.lambdas));
  assert.deepEqual(quick.ratios, [0.5, 0.9]);
  const custom = parse(
    "--profile",
    "lab",
    "--epochs",
    "3",
    "--time-budget",
    "0",
    "--lambdas",
    "0,1e-5",
  );
  assert.equal(custom.depth, 19);
  assert.equal(custom.epochs, 3);
  assert.equal(custom.finetuneEpochs, LAB_PROFILES.lab.finetuneEpochs);
  assert.equal(custom.timeBudget, undefined);
  assert.equal(custom.pruneLambda, 1e-5);
  assert.deepEqual(custom.recipe, LAB_PROFILES.lab.recipe);
});

Deno.test("labOptions: recipe overrides; an --lr override moves the fine-tune rate with it", () => {
  const options = parse(
    ...["--schedule", "cosine", "--lr", "0.2", "--nesterov", "false", "--label-smoothing", "0"],
    ...["--weight-decay", "1e-4", "--recalibrate", "0"],
  );
  assert.deepEqual(options.recipe, {
    schedule: "cosine",
    lr: 0.2,
    finetuneLr: 0.2,
    momentum: 0.9,
    nesterov: false,
    weightDecay: 1e-4,
    labelSmoothing: 0,
    recalibrate: 0,
    recalibrateAugment: true,
  });
  assert.equal(parse("--recalibrate-augment", "false").recipe.recalibrateAugment, false);
  assert.equal(parse("--lr", "0.2", "--finetune-lr", "0.01").recipe.finetuneLr, 0.01);
  assert.throws(() => parse("--schedule", "linear"), /--schedule must be one of step, cosine/);
  assert.throws(() => parse("--nesterov", "yes"), /--nesterov must be true or false/);
});

Deno.test("labOptions: the first bad option is a one-line UsageError", () => {
  assert.throws(() => parse("--profile", "huge"), /--profile must be one of paper, lab, quick/);
  assert.throws(() => parse("--depth", "12"), /--depth must be one of 11, 13, 16, 19, got 12/);
  assert.throws(() => parse("--lambdas", "0,,1"), /--lambdas must be a comma-separated list/);
  assert.throws(() => parse("--prune-lambda", "1"), /--prune-lambda 1 is not one of --lambdas/);
  assert.throws(() => parse("--ratios", "0.5,1"), /--ratios must be a comma-separated list/);
  // Checked in order: depth before lambdas.
  assert.throws(() => parse("--depth", "12", "--lambdas", "x"), /--depth/);
});

Deno.test("labOptions: --dataset picks the data set (default cifar10); another name is a UsageError", () => {
  assert.equal(parse().dataset.name, "cifar10");
  const c100 = parse("--dataset", "cifar100");
  assert.equal(c100.dataset.name, "cifar100");
  assert.equal(c100.dataset.classCount, 100);
  assert.throws(() => parse("--dataset", "mnist"), /--dataset must be one of cifar10, cifar100/);
});

Deno.test("labOptions: --arch resnet/densenet with the lab profile runs the reference's experiment", () => {
  const resnet = parse("--profile", "lab", "--arch", "resnet");
  assert.equal(resnet.arch, "resnet");
  assert.equal(resnet.depth, 164);
  assert.deepEqual(resnet.lambdas, [0, 1e-5, 1e-4]);
  assert.deepEqual(resnet.ratios, [0.4, 0.6]);
  assert.equal(parse("--profile", "paper", "--arch", "densenet").depth, 40);
  assert.deepEqual(parse("--profile", "lab").ratios, [0.5, 0.9]);
  assert.throws(() => parse("--arch", "resnet", "--depth", "19"), /ResNet depth|9n\+2/);
  assert.throws(() => parse("--arch", "vgg", "--growth-rate", "12"), /--growth-rate is for/);
});
