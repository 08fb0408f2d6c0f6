/**
 * Run folders as users meet them: `--out` checked before anything loads, one process per
 * folder (a second one refused naming the holder, a killed one's lock taken over), `--resume`
 * on the wrong or an empty folder, Ctrl-C, `--threads` above the cores, and the closing
 * summaries with their `--json` objects and warnings.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeSafetensors,
  encodeSafetensors,
  exists,
  lockDir,
  type NamedArray,
} from "@slimming/tensor-utils/core";
import { writeSyntheticLab } from "@slimming/report/testing";
import { CLI_MAIN, runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

const TINY = (data: string, out: string, epochs = 2) => [
  "--cfg",
  TINY_CFG,
  "--data",
  data,
  "--epochs",
  String(epochs),
  "--batch-size",
  "32",
  "--out",
  out,
  "--quiet",
];

function spawnCli(args: readonly string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI_MAIN, ...args],
    env: { CIFAR10_PATH: "", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function collect(child: Deno.ChildProcess) {
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Waits until `<dir>/.lock` names `pid` (the child took its lock). */
async function lockedBy(dir: string, pid: number): Promise<void> {
  for (;;) {
    try {
      if (JSON.parse(await Deno.readTextFile(join(dir, ".lock"))).pid === pid) return;
    } catch {
      // Not yet written.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error"));

Deno.test("--out that cannot be a folder: exit 2, one line, nothing loaded", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "a-file");
    await Deno.writeTextFile(file, "x");
    // --data names nothing: an error about it would mean the data was looked at first.
    const missing = join(root, "no-data");
    const cases: [string, string[], RegExp][] = [
      ["train", [...TINY(missing, file)], /--out .*a-file is a file/],
      ["train", [...TINY(missing, "/proc/self/run")], /--out \/proc\/self\/run: cannot/],
      [
        "prune",
        ["--ratio", "0.5", "--checkpoint", missing, "--data", missing, "--out", file],
        /--out .*a-file is a file/,
      ],
      ["lab", ["--data", missing, "--out", file], /--out .*a-file is a file/],
      [
        "export",
        ["--checkpoint", missing, "--format", "onnx", "--out", "/proc/self/model"],
        /the folder of --out \/proc\/self: cannot write/,
      ],
    ];
    for (const [command, args, message] of cases) {
      const result = await runCli([command, ...args]);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(!/backend:|data:/.test(result.stderr), result.stderr);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("two trains on one --out: exactly one runs, the other names it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root);
    const out = join(root, "run");
    const a = spawnCli(["train", ...TINY(data, out, 3), "--seed", "1"]);
    const b = spawnCli(["train", ...TINY(data, out, 3), "--seed", "7", "--lambda", "1e-3"]);
    const results = [await collect(a), await collect(b)];
    const pids = [a.pid, b.pid];
    assert.deepEqual(
      results.map((r) => r.code).sort(),
      [0, 2],
      results.map((r) => r.stderr).join(),
    );
    const winner = results.findIndex((r) => r.code === 0);
    const loser = results[1 - winner];
    assert.equal(errorLines(loser.stderr).length, 1, loser.stderr);
    assert.match(loser.stderr, new RegExp(`in use by 'train' \\(pid ${pids[winner]},`));
    const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
    assert.equal(config.seed, winner === 0 ? 1 : 7);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a kill -9'd holder's lock is taken over and reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root);
    const out = join(root, "run");
    const first = spawnCli(["train", ...TINY(data, out, 2)]);
    await lockedBy(out, first.pid);
    first.kill("SIGKILL");
    await first.output();
    const next = await runCli(["train", ...TINY(data, out, 2), "--resume"]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`took over .* from 'train' \\(pid ${first.pid},`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Ctrl-C: exit 130, one line saying --resume continues, lock released", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root);
    const out = join(root, "run");
    const child = spawnCli(["train", ...TINY(data, out, 50)]);
    await lockedBy(out, child.pid);
    child.kill("SIGINT");
    const result = await collect(child);
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /interrupted: .*--resume to continue/);
    const lock = lockDir(out, "test"); // free again
    assert.equal(lock.stale, undefined);
    lock.release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--resume: another kind of run is refused, an empty folder says so", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root);
    for (const [file, kind] of [["prune.json", "a prune output"], ["lab.json", "a lab folder"]]) {
      const dir = join(root, file);
      await Deno.mkdir(dir);
      await Deno.writeTextFile(join(dir, file), "{}");
      const result = await runCli(["train", ...TINY(join(root, "none"), dir), "--resume"]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(errorLines(result.stderr).length, 1);
      assert.match(result.stderr, new RegExp(`is ${kind} \\(it holds ${file}\\)`));
    }
    const out = join(root, "fresh");
    const result = await runCli([
      "train",
      ...TINY(data, out, 2),
      "--resume",
      "--threads",
      "999",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /--resume: .*did not exist, nothing to resume; starting a fresh run/,
    );
    assert.match(result.stderr, /--threads 999 is more than the \d+ cores here: using \d+/);
    assert.match(
      result.stderr,
      /best test accuracy [\d.]+% \(epoch \d\); last [\d.]+% \(epoch 2\)/,
    );
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.command, "train");
    assert.equal(summary.last.epoch, 2);
    assert.equal(summary.files.best, `${out}/best.safetensors`);
    assert.ok((await Deno.stat(summary.files.best)).isFile);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prune and eval warn: nothing pruned, NaN weights", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root);
    const run = join(root, "run");
    assert.equal((await runCli(["train", ...TINY(data, run, 1)])).code, 0);
    const checkpoint = join(run, "best.safetensors");
    const out = join(root, "pruned");
    const prune = await runCli([
      "prune",
      "--ratio",
      "0.5",
      "--min-channels",
      "100000",
      "--checkpoint",
      checkpoint,
      "--data",
      data,
      "--out",
      out,
      "--json",
    ]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(
      prune.stderr,
      /warning: pruned 0\.0% of the channels, not the 50\.0% --ratio asked/,
    );
    assert.match(prune.stderr, new RegExp(`model: ${out}/pruned\\.safetensors`));
    const summary = JSON.parse(prune.stdout);
    assert.equal(summary.prunedShare, 0);
    assert.equal(summary.files.summary, `${out}/prune.json`);

    const file = decodeSafetensors(await Deno.readFile(checkpoint));
    const nan: Record<string, NamedArray> = {};
    for (const [name, t] of Object.entries(file.tensors)) {
      nan[name] = t.dtype === "F32" ? { ...t, data: new Float32Array(t.data.length).fill(NaN) } : t;
    }
    const nanPath = join(root, "nan.safetensors");
    await Deno.writeFile(nanPath, encodeSafetensors(nan, file.metadata));
    const evaluation = await runCli(["eval", "--checkpoint", nanPath, "--data", data]);
    assert.equal(evaluation.code, 0, evaluation.stderr);
    assert.match(evaluation.stderr, /warning: .*nan\.safetensors gives a test loss of NaN/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the report refuses a folder another process holds", async () => {
  const root = await Deno.makeTempDir();
  try {
    const lab = await writeSyntheticLab(join(root, "lab"), { epochs: 1, finetuneEpochs: 1 });
    const held = join(root, "held");
    await Deno.mkdir(held);
    const lock = lockDir(held, "lab");
    try {
      const report = new URL("../apps/report/main.ts", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", report, "--runs", lab.dir, "--out", held],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr.trim(), new RegExp(`^error: .* in use by 'lab' \\(pid ${Deno.pid},`));
      assert.equal(stderr.trim().split("\n").length, 1);
      assert.ok(!(await exists(join(held, "report.pdf"))));
    } finally {
      lock.release();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("one help style; prune's --seed says what it seeds; one --min-channels default", async () => {
  const report = new URL("../apps/report/main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", report, "--help"],
    stdout: "piped",
  }).output();
  const help = new TextDecoder().decode(out.stdout);
  assert.match(help, /^usage: deno task report \[options\]\n\n/);
  assert.match(help, /\noptions:\n {2}--runs DIR {2,}lab folder/);
  assert.match(help, /\n {2}--help {2,}show this help\n?$/);
  const prune = (await runCli(["prune", "--help"])).stdout;
  assert.ok(!/initialisation, data order and augmentation/.test(prune), prune);
  const lab = (await runCli(["lab", "--help"])).stdout;
  const minDefault = (text: string) => /--min-channels N .*\(default (\d+)\)/.exec(text)?.[1];
  assert.equal(minDefault(prune), minDefault(lab));
});

Deno.test("lab: locked while it runs, hands the lock to its report, says how to continue", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = await syntheticArchive(root, 20, 5);
    const out = join(root, "lab");
    const args = [
      "lab",
      "--data",
      data,
      "--out",
      out,
      "--depth",
      "11",
      "--width",
      "0.0625",
      "--epochs",
      "1",
      "--finetune-epochs",
      "1",
      "--subset",
      "200",
      "--test-subset",
      "50",
      "--quiet",
    ];
    const interrupted = spawnCli(args);
    await lockedBy(out, interrupted.pid);
    const second = await runCli(args);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by 'lab' \\(pid ${interrupted.pid},`));
    interrupted.kill("SIGINT");
    const stopped = await collect(interrupted);
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /interrupted: .*rerun the same lab command to continue/);
    const done = await runCli([...args, "--json"]);
    assert.equal(done.code, 0, done.stderr);
    const summary = JSON.parse(done.stdout);
    assert.equal(summary.command, "lab");
    assert.ok(summary.stages.every((s: { status: string }) => s.status === "done"));
    assert.ok((await Deno.stat(summary.files.report)).isFile); // the report took the lock
    const lock = lockDir(out, "test"); // and released it
    assert.equal(lock.stale, undefined);
    lock.release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
