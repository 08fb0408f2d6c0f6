/**
 * `sweep` through the CLI on a small synthetic run: every ratio gives what `prune` at that
 * ratio gives, with the same rules, and bad ratios are one-line errors.
 */
import assert from "node:assert/strict";
import type { PruneSummary, SweepSummary } from "@slimming/run-format";
import { runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

Deno.test("sweep: each ratio equals prune at that ratio (threshold, kept, params, FLOPs, slim accuracy)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-sweep-" });
  try {
    const archive = await syntheticArchive(dir, 30, 10);
    const trained = await runCli([
      "train",
      "--cfg",
      TINY_CFG,
      "--epochs",
      "2",
      "--batch-size",
      "16",
      "--lambda",
      "1e-3",
      "--out",
      `${dir}/run`,
      "--data",
      archive,
      "--quiet",
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const checkpoint = `${dir}/run/last.safetensors`;
    const swept = await runCli([
      "sweep",
      "--checkpoint",
      checkpoint,
      "--out",
      `${dir}/sweep`,
      "--ratios",
      "0.2:0.8:0.3",
      "--recalibrate",
      "60",
      "--data",
      archive,
      "--json",
    ]);
    assert.equal(swept.code, 0, swept.stderr);
    assert.equal(JSON.parse(swept.stdout).command, "sweep");
    assert.match(swept.stderr, /ratio 0\.5 \(2\/3\): slim [\d.]+%, recalibrated [\d.]+%/);
    const summary: SweepSummary = JSON.parse(
      await Deno.readTextFile(`${dir}/sweep/sweep.json`),
    );
    assert.deepEqual(summary.points.map((p) => p.ratio), [0.2, 0.5, 0.8]);
    assert.equal(summary.recalibrationImages, 60);
    for (const [i, point] of summary.points.entries()) {
      assert.ok(point.recalibratedTestAcc !== undefined && point.imagesPerSecond > 0);
      assert.ok(point.kept.every((k) => k >= summary.minChannels));
      if (i > 0) assert.ok(point.paramsAfter <= summary.points[i - 1].paramsAfter);
      const out = `${dir}/p${point.ratio}`;
      const pruned = await runCli([
        "prune",
        `--ratio=${point.ratio}`,
        "--checkpoint",
        checkpoint,
        "--out",
        out,
        "--data",
        archive,
      ]);
      assert.equal(pruned.code, 0, pruned.stderr);
      const prune: PruneSummary = JSON.parse(await Deno.readTextFile(`${out}/prune.json`));
      assert.equal(point.threshold, prune.threshold);
      assert.deepEqual(point.kept, prune.kept);
      assert.deepEqual(point.guardedLayers, prune.guardedLayers);
      assert.equal(point.paramsAfter, prune.paramsAfter);
      assert.equal(point.flopsAfter, prune.flopsAfter);
      assert.equal(point.slimTestAcc, prune.slimTestAcc);
      assert.equal(summary.paramsBefore, prune.paramsBefore);
      assert.equal(summary.testAccBefore, prune.testAccBefore);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: bad --ratios are one-line errors, exit 2", async () => {
  for (
    const [ratios, why] of [
      ["0.5,1.0", /a ratio outside \[0, 1\)/],
      ["0.1:0.9", /three numbers expected/],
      ["0.1:0.9:0", /the step must be positive/],
      ["0.5,0.5", /a ratio twice/],
      ["0.9:0.1:0.1", /stop is below start/],
    ] as const
  ) {
    const result = await runCli(["sweep", "--checkpoint", "x", "--out", "y", "--ratios", ratios]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], why);
  }
});
