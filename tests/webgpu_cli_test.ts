/**
 * Every stage through the CLI on `--backend webgpu` (Mesa's llvmpipe in CI): train, prune,
 * fine-tune and eval on a small synthetic set, with no stack trace and no Mesa noise on
 * stderr. Skipped where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { probeWebgpu } from "@slimming/kernels";
import type { EpochRecord, PruneSummary } from "@slimming/run-format";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

const adapter = await probeWebgpu();

function assertClean(stderr: string): void {
  assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
  assert.doesNotMatch(stderr, /TypeError|Uncaught/, stderr);
}

Deno.test({
  name: "webgpu: train 1 epoch, prune, fine-tune and eval through the CLI",
  ignore: typeof adapter === "string",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "slimming-webgpu-" });
    const archive = await syntheticArchive(dir, 12, 4);
    const common = ["--data", archive, "--backend", "webgpu"];
    // An invalid runtime folder is what makes Mesa complain; the CLI must quieten it.
    const env = { XDG_RUNTIME_DIR: `${dir}/missing` };
    const trained = await runCli([
      "train",
      "--cfg",
      TINY_CFG,
      "--epochs",
      "1",
      "--batch-size",
      "30",
      "--lambda",
      "1e-4",
      "--out",
      `${dir}/run`,
      "--quiet",
      ...common,
    ], env);
    assert.equal(trained.code, 0, trained.stderr);
    assertClean(trained.stderr);
    assert.match(trained.stderr, /backend: webgpu/);
    const pruned = await runCli([
      "prune",
      "--ratio=0.5",
      "--checkpoint",
      `${dir}/run/last.safetensors`,
      "--out",
      `${dir}/p50`,
      ...common,
    ], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    assertClean(pruned.stderr);
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/p50/prune.json`)) as PruneSummary;
    assert.ok(summary.paramsAfter < summary.paramsBefore, JSON.stringify(summary));
    const tuned = await runCli([
      "finetune",
      "--checkpoint",
      `${dir}/p50/pruned.safetensors`,
      "--epochs",
      "1",
      "--batch-size",
      "30",
      "--out",
      `${dir}/ft`,
      "--quiet",
      ...common,
    ], env);
    assert.equal(tuned.code, 0, tuned.stderr);
    assertClean(tuned.stderr);
    const history = JSON.parse(await Deno.readTextFile(`${dir}/ft/history.json`)) as EpochRecord[];
    assert.equal(history.length, 1);
    const evaluated = await runCli([
      "eval",
      "--checkpoint",
      `${dir}/ft/last.safetensors`,
      ...common,
    ], env);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assertClean(evaluated.stderr);
    const output = JSON.parse(evaluated.stdout);
    assert.equal(output.backend, "webgpu");
    assert.equal(output.testAcc, history[0].testAcc);
    await Deno.remove(dir, { recursive: true });
  },
});
