/**
 * Bad input: a missing folder, no lab.json, invalid JSON or the wrong shape is a one-line
 * DataError and nothing is written; the CLI prints `error: …` and exits 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "@slimming/tensor-utils";
import { renderReport } from "@slimming/report";
import { run, writeSyntheticLab } from "@slimming/report/testing";
import { stageDir } from "@slimming/run-format";

const REPO = new URL("..", import.meta.url).pathname;
const MAIN = new URL("../apps/report/main.ts", import.meta.url).pathname;

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "report_errors_" });
}

async function assertDataError(runsDir: string, pattern: RegExp): Promise<void> {
  const outDir = join(runsDir, "out");
  await assert.rejects(renderReport({ runsDir, outDir }), (error: unknown) => {
    assert.ok(error instanceof DataError, `not a DataError: ${error}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
  await assert.rejects(Deno.stat(join(outDir, "report.pdf")), Deno.errors.NotFound);
}

Deno.test("bad runs folders are DataErrors and write nothing", async (t) => {
  const root = await tempDir();
  try {
    await t.step("missing folder", async () => {
      await assertDataError(join(root, "nowhere"), /runs folder .*nowhere does not exist/);
    });
    await t.step("no lab.json", async () => {
      const dir = join(root, "empty");
      await Deno.mkdir(dir);
      await assertDataError(dir, /no lab\.json in .*empty/);
    });
    const badLab = async (name: string, content: string, pattern: RegExp) => {
      const dir = join(root, name);
      await Deno.mkdir(dir);
      await Deno.writeTextFile(join(dir, "lab.json"), content);
      await assertDataError(dir, pattern);
    };
    await t.step("lab.json that is not JSON", async () => {
      await badLab("garbage", "{ not json", /lab\.json: invalid JSON/);
    });
    await t.step("lab.json that is not an object", async () => {
      await badLab("array", "[]", /lab\.json: lab\.json should be a JSON object/);
    });
    await t.step("stages that are not a list", async () => {
      await badLab("stages", '{"stages": 3}', /"stages" should be a list/);
    });
    await t.step("a stage folder outside the lab", async () => {
      const stage = { name: "x", dir: "../elsewhere", kind: "train", status: "done", seconds: 1 };
      await badLab("escape", JSON.stringify({ stages: [stage] }), /must be a folder inside/);
    });
    await t.step("lambdas that are not numbers", async () => {
      await badLab("lambdas", '{"stages": [], "lambdas": ["1e-4"]}', /"lambdas" should be/);
    });
    await t.step("a stage's history.json that is not JSON", async () => {
      const lab = await writeSyntheticLab(join(root, "history"), { epochs: 2, finetuneEpochs: 1 });
      await Deno.writeTextFile(join(lab.dir, stageDir("train", 1e-4), "history.json"), "[{");
      await assertDataError(lab.dir, /sparsity-1e-4\/history\.json: invalid JSON/);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("CLI: --help, usage errors, data errors and success", async (t) => {
  const root = await tempDir();
  const cli = (...args: string[]) => run(Deno.execPath(), ["run", "-A", MAIN, ...args], REPO);
  try {
    await t.step("--help lists the options", async () => {
      const result = await cli("--help");
      assert.equal(result.code, 0, result.stderr);
      for (const option of ["--runs", "--out", "--help"]) {
        assert.match(result.stdout, new RegExp(option));
      }
    });
    await t.step("unknown option and missing --runs exit 2", async () => {
      for (const args of [["--bogus"], []]) {
        const result = await cli(...args);
        assert.equal(result.code, 2, `${args}: ${result.stderr}`);
        assert.match(result.stderr, /^error: .*see --help/);
      }
    });
    await t.step("a folder without lab.json: one line, exit 2, no stack trace", async () => {
      const result = await cli("--runs", root);
      assert.equal(result.code, 2);
      assert.equal(result.stderr.trim(), `error: no lab.json in ${root} (not a lab folder)`);
    });
    await t.step("a lab renders into --out", async () => {
      const lab = await writeSyntheticLab(join(root, "lab"), { epochs: 2, finetuneEpochs: 1 });
      const out = join(root, "report");
      const result = await cli("--runs", lab.dir, "--out", out);
      assert.equal(result.code, 0, result.stderr);
      assert.ok((await Deno.stat(join(out, "report.pdf"))).size > 10_000);
      assert.ok((await Deno.stat(join(out, "figures", "pruned_channels.svg"))).isFile);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
