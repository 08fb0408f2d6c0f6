/**
 * `prune`, `finetune` and `eval` through the CLI on a small synthetic run.
 */
import assert from "node:assert/strict";
import { readSafetensors } from "@slimming/tensor-utils";
import { cfgFromMetadata, countFlops, countParams } from "@slimming/vgg";
import type { EpochRecord, PruneSummary } from "@slimming/run-format";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

Deno.test("prune at 0.5 and 0.9, multi-pass, fine-tune and eval on a lambda-0 run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-prune-" });
  const archive = await syntheticArchive(dir, 30, 10);
  const common = ["--data", archive, "--quiet"];
  const trained = await runCli([
    "train",
    "--cfg",
    TINY_CFG,
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--lambda",
    "0",
    "--out",
    `${dir}/run`,
    ...common,
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  for (const ratio of ["0.5", "0.9"]) {
    const out = `${dir}/p${ratio}`;
    const result = await runCli([
      "prune",
      `--ratio=${ratio}`,
      "--checkpoint",
      `${dir}/run/last.safetensors`,
      "--out",
      out,
      "--data",
      archive,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /threshold \|gamma\| >/);
    assert.match(result.stdout, /test accuracy: full [\d.]+% {2}masked [\d.]+% {2}slim [\d.]+%/);
    const summary = JSON.parse(await Deno.readTextFile(`${out}/prune.json`)) as PruneSummary;
    for (
      const key of [
        "ratio",
        "threshold",
        "cfg",
        "kept",
        "guardedLayers",
        "paramsBefore",
        "paramsAfter",
        "flopsBefore",
        "flopsAfter",
        "maskedTestAcc",
        "slimTestAcc",
      ]
    ) {
      assert.ok(key in summary, key);
    }
    assert.ok(summary.maskedTestAcc !== undefined, "a one-pass prune measures the masked model");
    assert.ok(
      Math.abs(summary.slimTestAcc - summary.maskedTestAcc) <= 0.05,
      `${summary.slimTestAcc} vs ${summary.maskedTestAcc}`,
    );
    const file = await readSafetensors(`${out}/pruned.safetensors`);
    const cfg = cfgFromMetadata(file.metadata);
    assert.deepEqual(cfg, summary.cfg);
    assert.equal(summary.paramsAfter, countParams(cfg));
    assert.equal(summary.flopsAfter, countFlops(cfg));
    assert.ok(summary.kept.every((k) => k >= 1));
    if (ratio === "0.9") {
      // lambda 0: gammas barely moved from 0.5, so the global threshold empties layers; the guard must say so.
      assert.ok(summary.guardedLayers.length > 0, JSON.stringify(summary));
      assert.match(result.stdout, /guarded/);
    }
  }
  const tuned = await runCli([
    "finetune",
    "--checkpoint",
    `${dir}/p0.9/pruned.safetensors`,
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--out",
    `${dir}/ft`,
    ...common,
  ]);
  assert.equal(tuned.code, 0, tuned.stderr);
  const history = JSON.parse(await Deno.readTextFile(`${dir}/ft/history.json`)) as EpochRecord[];
  assert.equal(history.length, 2);
  const evaluated = await runCli([
    "eval",
    "--checkpoint",
    `${dir}/ft/last.safetensors`,
    "--data",
    archive,
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const output = JSON.parse(evaluated.stdout);
  assert.equal(output.testAcc, history[1].testAcc);
  assert.ok(output.imagesPerSecond > 0 && output.params > 0 && output.flops > 0);

  const multi = await runCli([
    "prune",
    "--ratio",
    "0.5",
    "--passes",
    "2",
    "--pass-epochs",
    "1",
    "--max-layer-ratio",
    "0.5",
    "--checkpoint",
    `${dir}/run/last.safetensors`,
    "--out",
    `${dir}/multi`,
    "--data",
    archive,
  ]);
  assert.equal(multi.code, 0, multi.stderr);
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/multi/prune.json`)) as PruneSummary;
  // No masked model exists after fine-tuned passes: nothing unmeasured is recorded.
  assert.equal("maskedTestAcc" in summary, false, JSON.stringify(summary));
  assert.match(multi.stdout, /masked not measured {2}slim [\d.]+%/);
  summary.kept.forEach((k, i) =>
    assert.ok(
      k >= Math.ceil(summary.channelsBefore[i] * 0.25) - 1,
      `layer ${i}: ${k} of ${summary.channelsBefore[i]}`,
    )
  );
  await Deno.stat(`${dir}/multi/pass-1/last.safetensors`);
  await Deno.remove(dir, { recursive: true });
});
