/**
 * The fine-tune's distillation loss and its gradient against a PyTorch twin
 * (`tests/tools/distillation_twin.py`), and `finetune --teacher` through the CLI.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import type { RunConfig } from "@slimming/run-format";
import { distillationLoss } from "@slimming/train";
import { assertClose, haveTorch, runTwin } from "./torch_helpers.ts";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

Deno.test({
  name: "distillation loss and its gradient equal PyTorch's (kl_div batchmean, label smoothing)",
  ignore: !haveTorch, // python3-torch is not installed
  async fn() {
    await tf.setBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "slimming-kd-" });
    try {
      const cases = fc.sample(
        fc.record({
          n: fc.integer({ min: 1, max: 6 }),
          k: fc.integer({ min: 2, max: 12 }),
          weight: fc.constantFrom(0, 0.5, 0.9, 1),
          temperature: fc.constantFrom(1, 2, 4, 8),
          smoothing: fc.constantFrom(0, 0.1),
          seed: fc.integer({ min: 1, max: 1000 }),
        }),
        { numRuns: 8, seed: 11 },
      );
      for (const c of cases) {
        const student = tf.randomNormal([c.n, c.k], 0, 3, "float32", c.seed) as tf.Tensor2D;
        const teacher = tf.randomNormal([c.n, c.k], 0, 3, "float32", c.seed + 1) as tf.Tensor2D;
        const labels = tf.tensor1d(
          Array.from({ length: c.n }, (_, i) => (i * 7 + c.seed) % c.k),
          "int32",
        );
        const kd = { weight: c.weight, temperature: c.temperature };
        const lossOf = (s: tf.Tensor) =>
          distillationLoss(s as tf.Tensor2D, teacher, labels, kd, c.smoothing);
        const loss = (await lossOf(student).data())[0];
        const grad = await tf.grad(lossOf)(student).data();
        const theirs = await runTwin<{ loss: number; grad: number[] }>(
          "distillation_twin.py",
          dir,
          {
            ...c,
            ...kd,
            student: Array.from(await student.data()),
            teacher: Array.from(await teacher.data()),
            labels: Array.from(await labels.data()),
          },
        );
        const what = JSON.stringify(c);
        assertClose([loss], [theirs.loss], `loss ${what}`, { floor: 1e-3 });
        assertClose(grad, theirs.grad, `gradient ${what}`, { floor: 1e-3 });
        tf.dispose([student, teacher, labels]);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("distillation: α = 0 is the cross-entropy; the KL term vanishes when student = teacher", async () => {
  await tf.setBackend("cpu");
  const logits = tf.tensor2d([[1, 2, 0.5], [0.2, -1, 3]]);
  const other = tf.tensor2d([[0, 1, 2], [1, 1, 1]]);
  const labels = tf.tensor1d([1, 2], "int32");
  const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), logits);
  const plain =
    (await distillationLoss(logits, other, labels, { weight: 0, temperature: 4 }).data())[0];
  assert.ok(Math.abs(plain - (await ce.data())[0]) < 1e-6);
  const self =
    (await distillationLoss(logits, logits, labels, { weight: 1, temperature: 3 }).data())[0];
  assert.ok(Math.abs(self) < 1e-6, `KL(p ‖ p) = ${self}`);
  tf.dispose([logits, other, labels, ce]);
});

Deno.test("finetune --teacher: records the teacher, α and T in config.json, refuses another on resume", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-kd-cli-" });
  try {
    const archive = await syntheticArchive(dir, 20, 5);
    const common = ["--data", archive, "--quiet", "--batch-size", "20"];
    const trained = await runCli([
      "train",
      "--cfg",
      TINY_CFG,
      "--epochs",
      "1",
      "--out",
      `${dir}/t`,
      ...common,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const teacher = `${dir}/t/last.safetensors`;
    const args = [
      "finetune",
      "--checkpoint",
      teacher,
      "--teacher",
      teacher,
      "--kd-weight",
      "0.7",
      "--kd-temperature",
      "3",
      "--epochs",
      "1",
      "--out",
      `${dir}/f`,
      ...common,
    ];
    const tuned = await runCli(args);
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.match(tuned.stderr, /distilled from .*t\/last\.safetensors, α 0\.7, T 3/);
    const config: RunConfig = JSON.parse(await Deno.readTextFile(`${dir}/f/config.json`));
    assert.deepEqual([config.teacher, config.kdWeight, config.kdTemperature], [teacher, 0.7, 3]);
    const other = await runCli([...args.slice(0, 6), "0.5", ...args.slice(7), "--resume"]);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /started with kdWeight 0\.7, not 0\.5/);
    const bad = await runCli([...args.slice(0, 6), "1.5", ...args.slice(7)]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kd-weight/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
