/**
 * Exact resume under SIGKILL: a training run killed during an epoch and during a checkpoint
 * write, then resumed, ends with the same bytes and history as an uninterrupted run; and a
 * killed lab, rerun, skips its finished stages and redoes the interrupted one.
 */
import assert from "node:assert/strict";
import { CLI_MAIN, fileHash, runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";
import type { EpochRecord, LabSummary } from "@slimming/run-format";

function spawnCli(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI_MAIN, ...args],
    env: { CIFAR10_PATH: "", NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function hasTempFile(dir: string, containing = ""): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".tmp") && e.name.includes(containing)) return true;
    }
  } catch {
    // not created yet
  }
  return false;
}

async function historyLength(dir: string): Promise<number> {
  try {
    return (JSON.parse(await Deno.readTextFile(`${dir}/history.json`)) as unknown[]).length;
  } catch {
    return 0;
  }
}

function withoutTiming(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
}

Deno.test("SIGKILL during a checkpoint write and during an epoch, then --resume: bit-identical result", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-kill-" });
  const archive = await syntheticArchive(dir, 40, 10);
  const args = [
    "train",
    "--cfg",
    TINY_CFG,
    "--epochs",
    "5",
    "--batch-size",
    "16",
    "--lr",
    "0.05",
    "--data",
    archive,
    "--quiet",
  ];
  const full = await runCli([...args, "--out", `${dir}/full`]);
  assert.equal(full.code, 0, full.stderr);

  const cut = `${dir}/cut`;
  // 1. Killed while a checkpoint file is half-way (its temp file exists, not yet renamed).
  let child = spawnCli([...args, "--out", cut, "--resume"], {
    SLIMMING_TEST_WRITE_DELAY_MS: "400",
  });
  assert.ok(
    await waitFor(() => hasTempFile(cut, ".safetensors."), 60_000),
    "no checkpoint write seen",
  );
  child.kill("SIGKILL");
  await child.status;
  assert.ok((await historyLength(cut)) < 5, "the run finished before it was killed");
  // 2. Killed in the middle of a later epoch.
  const done = await historyLength(cut);
  child = spawnCli([...args, "--out", cut, "--resume"]);
  assert.ok(
    await waitFor(async () => (await historyLength(cut)) > done, 60_000),
    "no epoch committed after resuming",
  );
  await new Promise((r) => setTimeout(r, 150));
  child.kill("SIGKILL");
  await child.status;
  assert.ok((await historyLength(cut)) < 5, "the run finished before it was killed");
  // 3. Resume to the end.
  const resumed = await runCli([...args, "--out", cut, "--resume"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .* after epoch \d+\/5/);

  assert.equal(
    await fileHash(`${cut}/last.safetensors`),
    await fileHash(`${dir}/full/last.safetensors`),
  );
  assert.equal(
    await fileHash(`${cut}/best.safetensors`),
    await fileHash(`${dir}/full/best.safetensors`),
  );
  const a = JSON.parse(await Deno.readTextFile(`${cut}/history.json`)) as EpochRecord[];
  const b = JSON.parse(await Deno.readTextFile(`${dir}/full/history.json`)) as EpochRecord[];
  assert.deepEqual(withoutTiming(a), withoutTiming(b));
  assert.equal(await hasTempFile(cut), false, "stale temp files were left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a killed lab, rerun, skips finished stages, redoes the interrupted one and writes the report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-lab-" });
  const archive = await syntheticArchive(dir, 30, 10);
  const out = `${dir}/lab`;
  const args = [
    "lab",
    "--data",
    archive,
    "--out",
    out,
    "--depth",
    "11",
    "--width",
    "0.0625",
    "--epochs",
    "2",
    "--finetune-epochs",
    "1",
    "--batch-size",
    "32",
    "--lambdas",
    "0,1e-3",
    "--subset",
    "300",
    "--quiet",
  ];
  const child = spawnCli(args);
  assert.ok(
    await waitFor(async () => (await historyLength(`${out}/sparsity-1e-3`)) >= 1, 120_000),
    "stage 2 never started",
  );
  child.kill("SIGKILL");
  await child.status;
  const firstStage = await fileHash(`${out}/sparsity-0/last.safetensors`);
  const killed = JSON.parse(await Deno.readTextFile(`${out}/lab.json`)) as LabSummary;
  const firstSeconds = killed.stages.find((s) => s.dir === "sparsity-0")!.seconds;
  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /already done \(.*sparsity-0\)/);
  assert.equal(
    await fileHash(`${out}/sparsity-0/last.safetensors`),
    firstStage,
    "a finished stage was redone",
  );
  const lab = JSON.parse(await Deno.readTextFile(`${out}/lab.json`)) as LabSummary;
  assert.deepEqual(lab.stages.map((s) => s.status), lab.stages.map(() => "done"));
  assert.equal(
    lab.stages.find((s) => s.dir === "sparsity-0")!.seconds,
    firstSeconds,
    "a skipped stage lost its time",
  );
  assert.equal(lab.startedAt, killed.startedAt);
  assert.ok(
    lab.events.some((e) => e.kind === "resumed" && e.stage === "sparsity-1e-3"),
    JSON.stringify(lab.events),
  );
  assert.ok((await Deno.stat(`${out}/report.pdf`)).size > 10_000);
  await Deno.remove(dir, { recursive: true });
});
