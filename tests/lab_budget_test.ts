/**
 * The lab and its time budget, as a user runs it: measured and planned before the first
 * stage, the plan recorded and kept on a rerun, a budget too small refused before anything
 * runs, and stages the budget or Ctrl-C ended called "stopped early", never "failed".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LabSummary } from "@slimming/run-format";
import { hasPoppler, pdfText } from "@slimming/report/testing";
import { CLI_MAIN, runCli, syntheticArchive } from "./cli_helpers.ts";

const poppler = await hasPoppler();

function labArgs(data: string, out: string, extra: string[]): string[] {
  return [
    "lab",
    "--data",
    data,
    "--out",
    out,
    "--depth",
    "11",
    "--width",
    "0.0625",
    "--subset",
    "200",
    "--test-subset",
    "50",
    "--batch-size",
    "20",
    "--quiet",
    ...extra,
  ];
}

async function readLab(out: string): Promise<LabSummary> {
  return JSON.parse(await Deno.readTextFile(join(out, "lab.json")));
}

Deno.test("lab: measures, plans, records the plan, and a rerun keeps it", async () => {
  const root = await Deno.makeTempDir({ prefix: "slimming-plan-" });
  try {
    const data = await syntheticArchive(root, 20, 5);
    const out = join(root, "lab");
    const args = labArgs(data, out, [
      "--epochs",
      "2",
      "--finetune-epochs",
      "1",
      "--time-budget",
      "900",
    ]);
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /measuring this machine's training and evaluation speed/);
    const lab = await readLab(out);
    const plan = lab.plan!;
    assert.ok(plan.measured.trainImagesPerSecond > 0 && plan.measured.evalImagesPerSecond > 0);
    assert.match(plan.reason, /^measured [\d,]+ img\/s training and [\d,]+ img\/s evaluation/);
    assert.deepEqual(plan.gaveWay, [], "a tiny lab fits 15 minutes as written");
    assert.deepEqual(lab.lambdas, plan.lambdas);
    assert.ok(plan.estimate.total <= 900);
    assert.equal(plan.finetune?.measured.length, 2, "the pruned models were measured");
    assert.match(first.stderr, /plan: the pruned models trained at [\d,]+ and [\d,]+ img\/s/);
    assert.ok(lab.stages.every((s) => s.status === "done"), JSON.stringify(lab.stages));
    assert.match(first.stderr, /plan: measured/);
    const rerun = await runCli(args);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /plan \(recorded in lab\.json, kept\): measured/);
    assert.doesNotMatch(rerun.stderr, /measuring this machine/);
    assert.deepEqual((await readLab(out)).plan, plan);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lab: a budget that cannot hold a meaningful lab is refused before any stage, with the time it needs", async () => {
  const root = await Deno.makeTempDir({ prefix: "slimming-plan-" });
  try {
    const data = await syntheticArchive(root, 20, 5);
    const out = join(root, "lab");
    const result = await runCli(labArgs(data, out, ["--epochs", "2", "--time-budget", "1"]));
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.match(
      lines[lines.length - 1],
      /needs about \d+:\d\d, over the 0:01 budget: give it --time-budget \d+/,
    );
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "a stack trace");
    const left = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n !== ".lock");
    assert.deepEqual(left, [], "nothing ran");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "lab: stages the budget ended say 'stopped early (epoch 1 of 3)' in the summary, lab.json and report, never 'failed'",
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "slimming-plan-" });
    try {
      const data = await syntheticArchive(root, 20, 5);
      const out = join(root, "lab");
      // Without a plan, a one-second budget ends every training after its first epoch.
      const result = await runCli(labArgs(data, out, [
        "--epochs",
        "3",
        "--finetune-epochs",
        "2",
        "--time-budget",
        "1",
        "--plan",
        "false",
      ]));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /sparsity training, lambda 0: stopped early \(epoch 1 of 3\)/);
      assert.match(result.stderr, /fine-tune 90%: stopped early \(epoch 1 of 2\)/);
      const lab = await readLab(out);
      const trainings = lab.stages.filter((s) => s.kind === "train" || s.kind === "finetune");
      assert.deepEqual(
        trainings.map((s) => [s.status, s.epochs, s.plannedEpochs]),
        [3, 3, 3, 2, 2].map((n) => ["stopped", 1, n]),
      );
      const others = lab.stages.filter((s) => s.kind === "prune" || s.kind === "sweep");
      assert.deepEqual(others.map((s) => s.kind), ["sweep", "sweep", "sweep", "prune", "prune"]);
      assert.ok(others.every((s) => s.status === "done"));
      assert.ok(!JSON.stringify(lab).includes("failed"));
      await t.step({
        name: "pdftotext report.pdf says 'stopped early', never 'failed'",
        ignore: !poppler, // poppler-utils (pdftotext) is not installed
        fn: async () => {
          const text = (await pdfText(join(out, "report.pdf"))).replace(/\s+/g, " ");
          assert.match(text, /stopped early \(epoch 1 of 3\)/);
          assert.doesNotMatch(text, /failed/i);
        },
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("lab: Ctrl-C during a stage records it as stopped early with the epochs it committed", async () => {
  const root = await Deno.makeTempDir({ prefix: "slimming-plan-" });
  try {
    const data = await syntheticArchive(root, 20, 5);
    const out = join(root, "lab");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI_MAIN,
        ...labArgs(data, out, ["--epochs", "40", "--time-budget", "0"]),
      ],
      env: { CIFAR10_PATH: "", NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const history = join(out, "sparsity-0", "history.json");
    for (let i = 0; i < 6000; i++) {
      try {
        if (JSON.parse(await Deno.readTextFile(history)).length >= 1) break;
      } catch {
        // no epoch yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGINT");
    const { code } = await child.output();
    assert.equal(code, 130);
    const lab = await readLab(out);
    const stage = lab.stages.find((s) => s.dir === "sparsity-0")!;
    assert.equal(stage.status, "stopped");
    assert.equal(stage.plannedEpochs, 40);
    const committed = JSON.parse(await Deno.readTextFile(history)).length;
    assert.ok(stage.epochs! >= 1 && stage.epochs! <= committed, JSON.stringify(stage));
    assert.ok(lab.stages.slice(1).every((s) => s.status === "pending"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
