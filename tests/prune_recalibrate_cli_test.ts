/**
 * `prune --recalibrate N` through the CLI: pruned.safetensors stays vggprune's model, and
 * recalibrated.safetensors holds the same weights with re-estimated BN statistics.
 */
import assert from "node:assert/strict";
import { readSafetensors } from "@slimming/tensor-utils/core";
import type { PruneSummary } from "@slimming/run-format";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

Deno.test("prune --recalibrate: vggprune's model unchanged, a recalibrated model beside it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-recal-" });
  const archive = await syntheticArchive(dir, 30, 10);
  const trained = await runCli([
    ...["train", "--cfg", TINY_CFG, "--epochs", "1", "--batch-size", "16", "--lambda", "1e-3"],
    ...["--out", `${dir}/run`, "--data", archive, "--quiet"],
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  const prune = (out: string, extra: string[]) =>
    runCli([
      ...["prune", "--ratio=0.5", "--checkpoint", `${dir}/run/last.safetensors`],
      ...["--out", out, "--data", archive, ...extra],
    ]);
  const plain = await prune(`${dir}/plain`, []);
  assert.equal(plain.code, 0, plain.stderr);
  const recal = await prune(`${dir}/recal`, ["--recalibrate", "200"]);
  assert.equal(recal.code, 0, recal.stderr);
  assert.match(recal.stdout, /recalibrated \(BN statistics of 200 training images\) [\d.]+%/);

  const plainSummary = JSON.parse(await Deno.readTextFile(`${dir}/plain/prune.json`));
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/recal/prune.json`)) as PruneSummary;
  assert.equal(plainSummary.recalibratedTestAcc, undefined);
  assert.equal(summary.recalibrationImages, 200);
  assert.equal(typeof summary.recalibratedTestAcc, "number");
  await assert.rejects(() => Deno.stat(`${dir}/plain/recalibrated.safetensors`));

  // pruned.safetensors is byte-identical with and without --recalibrate.
  assert.deepEqual(
    await Deno.readFile(`${dir}/recal/pruned.safetensors`),
    await Deno.readFile(`${dir}/plain/pruned.safetensors`),
  );
  const pruned = await readSafetensors(`${dir}/recal/pruned.safetensors`);
  const recalibrated = await readSafetensors(`${dir}/recal/recalibrated.safetensors`);
  for (const [name, tensor] of Object.entries(pruned.tensors)) {
    const other = recalibrated.tensors[name];
    assert.deepEqual(other.shape, tensor.shape, name);
    if (name.endsWith("running_mean") || name.endsWith("running_var")) {
      assert.notDeepEqual(other.data, tensor.data, `${name} was re-estimated`);
    } else if (!name.endsWith("num_batches_tracked")) {
      assert.deepEqual(other.data, tensor.data, `${name} is unchanged`);
    }
  }
  await Deno.remove(dir, { recursive: true });
});
