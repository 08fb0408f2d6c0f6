import assert from "node:assert/strict";
import { DataError } from "@slimming/tensor-utils/core";
import { join } from "node:path";
import {
  readHistory,
  readLabSummary,
  readPruneSummary,
  readRunConfig,
  writeHistory,
  writeLabSummary,
  writePruneSummary,
  writeRunConfig,
} from "./io.ts";
import type { EpochRecord, LabSummary, PruneSummary, RunConfig } from "./records.ts";

Deno.test("the writers write the files the readers read, under the run format's names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readLabSummary(dir), undefined);
    const config = { command: "train", cfg: [4, "M", 8], width: 1, lambda: 0 } as RunConfig;
    const history = [{ epoch: 1, testAcc: 12.5 }] as EpochRecord[];
    const prune = {
      ratio: 0.5,
      threshold: 0.1,
      kept: [1],
      channelsBefore: [2],
      guardedLayers: [],
      slimTestAcc: 40,
    } as unknown as PruneSummary;
    const lab = {
      profile: "quick",
      stages: [],
      events: [],
      lambdas: [0],
      ratios: [0.5],
    } as unknown as LabSummary;
    await writeRunConfig(dir, config);
    await writeHistory(dir, history);
    await writePruneSummary(dir, prune);
    await writeLabSummary(dir, lab);
    assert.deepEqual(await readRunConfig(dir), config);
    assert.deepEqual(await readHistory(dir), history);
    assert.deepEqual(await readPruneSummary(dir), prune);
    assert.deepEqual(await readLabSummary(dir), lab);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["config.json", "history.json", "lab.json", "prune.json"]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "prune.json"))), prune);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the readers validate what they read: a malformed record is a DataError naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "prune.json"), JSON.stringify({ ratio: 0.5 }));
    await assert.rejects(() => readPruneSummary(dir), DataError);
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ arch: "lenet" }));
    await assert.rejects(() => readRunConfig(dir), /config\.json: "arch" should be one of/);
    await Deno.writeTextFile(join(dir, "history.json"), JSON.stringify({ epoch: 1 }));
    await assert.rejects(() => readHistory(dir), /should be a list of epoch records/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
