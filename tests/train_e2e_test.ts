/**
 * End-to-end training on a tiny synthetic data set: learning, memory, resume, divergence.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { loadCifar } from "@slimming/cifar";
import { disposeTree, DivergenceError } from "@slimming/tensor-utils";
import { disposeBackends, useBackend } from "@slimming/kernels";
import { prune } from "@slimming/slimming";
import { kernelBackends } from "@slimming/kernels/testing";
import { initVgg, parseCfg } from "@slimming/vgg";
import {
  createProgressPrinter,
  evaluate,
  runTraining,
  type TrainingOptions,
} from "@slimming/train";
import type { EpochRecord, RunConfig } from "@slimming/run-format";
import { fileHash, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

const cfg = parseCfg(TINY_CFG);
const quiet = createProgressPrinter({ silent: true });

async function setup(epochs: number, overrides: Partial<RunConfig> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "slimming-e2e-" });
  const archive = await syntheticArchive(dir, 60, 20);
  const dataset = await loadCifar(archive);
  const config: RunConfig = {
    command: "train",
    cfg,
    width: 1,
    epochs,
    batchSize: 32,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    lambda: 1e-4,
    seed: 5,
    backend: "test",
    dataSource: archive,
    lrSteps: [],
    startedAt: "",
    ...overrides,
  };
  const base: Omit<TrainingOptions, "out"> = {
    config,
    data: { train: dataset.train, test: dataset.test, source: archive, spec: dataset.spec },
    resume: true,
    initial: () => initVgg({ cfg, seed: config.seed }),
    progress: quiet,
  };
  return { dir, base };
}

function withoutTiming(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
}

Deno.test("training on synthetic data learns, and tensors stay flat across epochs", async () => {
  const backend = await useBackend("auto");
  const { dir, base } = await setup(3);
  const counts: number[] = [];
  const bytes: number[] = [];
  const result = await runTraining({
    ...base,
    out: `${dir}/run`,
    onEpoch: () => {
      counts.push(tf.memory().numTensors);
      bytes.push(tf.memory().numBytes);
    },
  });
  const last = result.history[result.history.length - 1];
  assert.ok(
    last.trainAcc > 40,
    `train accuracy ${last.trainAcc}% on ${backend.name} is not well above chance`,
  );
  assert.ok(last.testAcc > 30, `test accuracy ${last.testAcc}%`);
  assert.equal(counts[0], counts[2], `tensors after epoch 1 and 3: ${counts}`);
  assert.equal(bytes[0], bytes[2], `bytes after epoch 1 and 3: ${bytes}`);
  for (
    const file of [
      "config.json",
      "history.json",
      "last.safetensors",
      "best.safetensors",
      "last.optimizer.safetensors",
    ]
  ) {
    await Deno.stat(`${dir}/run/${file}`);
  }
  const history = JSON.parse(await Deno.readTextFile(`${dir}/run/history.json`)) as EpochRecord[];
  assert.deepEqual(Object.keys(history[0]).sort(), [
    "epoch",
    "images",
    "imagesPerSecond",
    "lr",
    "seconds",
    "testAcc",
    "testLoss",
    "trainAcc",
    "trainLoss",
  ]);
  disposeTree(result.params);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("memory is flat across epochs of train, fine-tune and eval on every training backend", async () => {
  const backends = await kernelBackends();
  for (const name of backends) {
    await useBackend(name);
    const { dir, base } = await setup(3);
    const watch = (counts: number[][]) => () =>
      void counts.push([tf.memory().numTensors, tf.memory().numBytes]);
    const trainCounts: number[][] = [];
    const trained = await runTraining({
      ...base,
      out: `${dir}/train`,
      onEpoch: watch(trainCounts),
    });
    assert.deepEqual(
      trainCounts[0],
      trainCounts[2],
      `${name} train: ${JSON.stringify(trainCounts)}`,
    );
    assert.ok(trained.params.arch === "vgg");
    const slim = prune(trained.params, 0.5, { minChannels: 1 });
    disposeTree(trained.params);
    const tuneCounts: number[][] = [];
    const tuned = await runTraining({
      ...base,
      config: { ...base.config, command: "finetune", cfg: slim.cfg, lambda: 0 },
      out: `${dir}/tune`,
      initial: () => slim.params,
      onEpoch: watch(tuneCounts),
    });
    assert.deepEqual(
      tuneCounts[0],
      tuneCounts[2],
      `${name} fine-tune: ${JSON.stringify(tuneCounts)}`,
    );
    const evalCounts: number[][] = [];
    for (let i = 0; i < 3; i++) {
      await evaluate(tuned.params, base.data.test, 17);
      watch(evalCounts)();
    }
    assert.deepEqual(evalCounts[0], evalCounts[2], `${name} eval: ${JSON.stringify(evalCounts)}`);
    disposeTree(tuned.params);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an interrupted run resumed with --resume ends bit-identical to an uninterrupted one", async () => {
  await useBackend("auto");
  const { dir, base } = await setup(4);
  const full = await runTraining({ ...base, out: `${dir}/full` });
  class Interrupt extends Error {}
  await assert.rejects(
    runTraining({
      ...base,
      out: `${dir}/cut`,
      onEpoch: (record) => {
        if (record.epoch === 2) throw new Interrupt("killed");
      },
    }),
    Interrupt,
  );
  const resumed = await runTraining({ ...base, out: `${dir}/cut` });
  assert.equal(resumed.resumedFromEpoch, 2);
  assert.equal(
    await fileHash(`${dir}/cut/last.safetensors`),
    await fileHash(`${dir}/full/last.safetensors`),
  );
  assert.equal(
    await fileHash(`${dir}/cut/best.safetensors`),
    await fileHash(`${dir}/full/best.safetensors`),
  );
  assert.deepEqual(withoutTiming(resumed.history), withoutTiming(full.history));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run that diverges stops with DivergenceError naming epoch and batch, keeping the last good checkpoint", async () => {
  await useBackend("auto");
  const { dir, base } = await setup(3, { lr: 1e30 });
  let committed = 0;
  await assert.rejects(
    runTraining({ ...base, out: `${dir}/run`, onEpoch: () => void committed++ }),
    (error: unknown) => {
      assert.ok(error instanceof DivergenceError);
      assert.match(error.message, /at epoch \d+, batch \d+\/\d+/);
      assert.ok(!error.message.includes("\n"));
      return true;
    },
  );
  if (committed > 0) {
    const history = JSON.parse(await Deno.readTextFile(`${dir}/run/history.json`)) as EpochRecord[];
    assert.equal(history.length, committed);
    assert.ok(history.every((r) => Number.isFinite(r.trainLoss)));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
