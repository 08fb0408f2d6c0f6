/**
 * CIFAR-100 through the real CLI on a tiny synthetic archive in the official CIFAR-100
 * format: `train --dataset cifar100` builds a 100-class head and records the data set;
 * `eval` finds the data through CIFAR100_PATH; `export` names the 100 classes; a 100-class
 * checkpoint used with `--dataset cifar10` is a one-line error with exit code 2.
 */
import assert from "node:assert/strict";
import { CIFAR100_SPEC } from "@slimming/cifar";
import { readSafetensors } from "@slimming/tensor-utils";
import type { RunConfig } from "@slimming/run-format";
import { cfgFromMetadata, countParams } from "@slimming/vgg";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  const errors = result.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(result.code, 2, `exit code ${result.code}, stderr:\n${result.stderr}`);
  assert.equal(errors.length, 1, `one error line expected:\n${result.stderr}`);
  assert.match(errors[0], pattern);
  assert.ok(!/^\s+at /m.test(result.stderr), `stack trace printed:\n${result.stderr}`);
}

Deno.test("train --dataset cifar100: a 100-class head, the data set recorded, and a guard against cifar10", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-c100-" });
  const c100 = await syntheticArchive(dir, 1, 1, CIFAR100_SPEC);
  const c10 = await syntheticArchive(dir, 2, 1);
  // The run both the training and the refused resume below name.
  const run = ["--cfg", TINY_CFG, "--epochs", "1", "--batch-size", "50", "--out", `${dir}/run`];
  const trained = await runCli([
    "train",
    "--dataset",
    "cifar100",
    "--data",
    c100,
    ...run,
    "--quiet",
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /CIFAR-100.*100 training, 100 test images/);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`)) as RunConfig;
  assert.equal(config.dataset, "cifar100");
  const checkpoint = `${dir}/run/last.safetensors`;
  const file = await readSafetensors(checkpoint);
  assert.deepEqual(file.tensors["classifier.weight"].shape, [100, 32]);
  assert.deepEqual(file.tensors["classifier.bias"].shape, [100]);

  // eval finds the CIFAR-100 archive through CIFAR100_PATH and counts the 100-class head.
  const evaluated = await runCli(
    ["eval", "--dataset", "cifar100", "--checkpoint", checkpoint, "--batch-size", "20"],
    { CIFAR100_PATH: c100 },
  );
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const output = JSON.parse(evaluated.stdout);
  assert.equal(output.params, countParams(cfgFromMetadata(file.metadata), 100));
  assert.ok(output.testAcc >= 0 && output.testAcc <= 100);

  // An exported model names the 100 classes (from the head), with the reference's normalisation.
  const exported = await runCli([
    "export",
    "--checkpoint",
    checkpoint,
    "--format",
    "tfjs",
    "--out",
    `${dir}/tfjs`,
  ]);
  assert.equal(exported.code, 0, exported.stderr);
  const model = JSON.parse(await Deno.readTextFile(`${dir}/tfjs/model.json`));
  assert.deepEqual(model.userDefinedMetadata.classes, [...CIFAR100_SPEC.classNames]);
  assert.deepEqual(model.userDefinedMetadata.mean, [...CIFAR100_SPEC.mean]);

  // Each refused invocation: one line, exit 2.
  const wrong = /100-class model, but --dataset cifar10 has 10 classes.*--dataset cifar100/;
  const refused: Array<[string, string[], RegExp]> = [
    // The same checkpoint with the CIFAR-10 data, for every command that takes it.
    ["eval", ["--dataset", "cifar10", "--checkpoint", checkpoint, "--data", c10], wrong],
    ["finetune", [
      "--checkpoint",
      checkpoint,
      "--data",
      c10,
      "--epochs",
      "1",
      "--out",
      `${dir}/tuned`,
    ], wrong],
    ["prune", [
      "--ratio",
      "0.5",
      "--dataset",
      "cifar10",
      "--checkpoint",
      checkpoint,
      "--data",
      c10,
      "--out",
      `${dir}/pruned`,
    ], wrong],
    // Resuming the CIFAR-100 run on CIFAR-10 (the recorded data set differs).
    [
      "train",
      ["--resume", "--data", c10, ...run, "--quiet"],
      /was started with --dataset cifar100, not cifar10/,
    ],
    // A CIFAR-10 archive given as CIFAR-100 data names the missing member.
    [
      "eval",
      ["--dataset", "cifar100", "--checkpoint", checkpoint, "--data", c10],
      /cifar-100-binary\/train\.bin is missing/,
    ],
    [
      "train",
      ["--dataset", "cifar1000", "--out", `${dir}/x`],
      /--dataset must be one of cifar10, cifar100, got "cifar1000"/,
    ],
  ];
  for (const [command, args, message] of refused) {
    assertOneLineError(await runCli([command, ...args]), message);
  }
  await Deno.remove(dir, { recursive: true });
});
