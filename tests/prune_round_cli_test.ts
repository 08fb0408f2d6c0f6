/**
 * `deno task prune --round-to 8` through the CLI: every layer a multiple of 8 (or its width),
 * both counts in prune.json, and the pruned checkpoint's cfg equal to the rounded counts.
 */
import assert from "node:assert/strict";
import { disposeTree, encodeSafetensors, readSafetensors } from "@slimming/tensor-utils";
import { cfgFromMetadata, checkpointMetadata, convChannels, toStateDict } from "@slimming/vgg";
import type { PruneSummary } from "@slimming/run-format";
import { randomBnVgg, SMALL_CFG } from "@slimming/vgg/testing";
import { runCli, syntheticArchive } from "./cli_helpers.ts";

Deno.test("prune --round-to 8 at 0.9: multiples of 8, both counts recorded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prune-round-" });
  const archive = await syntheticArchive(dir, 2, 5);
  const params = await randomBnVgg(SMALL_CFG, 8);
  await Deno.writeFile(
    `${dir}/model.safetensors`,
    encodeSafetensors(await toStateDict(params), checkpointMetadata(params.cfg)),
  );
  disposeTree(params);
  const common = [
    "prune",
    "--ratio=0.9",
    "--checkpoint",
    `${dir}/model.safetensors`,
    "--data",
    archive,
  ];
  const plain = await runCli([...common, "--out", `${dir}/p90`]);
  assert.equal(plain.code, 0, plain.stderr);
  const rounded = await runCli([...common, "--round-to", "8", "--out", `${dir}/p90r8`]);
  assert.equal(rounded.code, 0, rounded.stderr);
  const a = JSON.parse(await Deno.readTextFile(`${dir}/p90/prune.json`)) as PruneSummary;
  const b = JSON.parse(await Deno.readTextFile(`${dir}/p90r8/prune.json`)) as PruneSummary;
  assert.equal(a.keptBeforeRounding, undefined);
  assert.equal(b.roundTo, 8);
  assert.deepEqual(b.keptBeforeRounding, a.kept);
  b.kept.forEach((k, i) => {
    assert.ok(k % 8 === 0 || k === b.channelsBefore[i], `layer ${i}: ${k}`);
    assert.ok(k >= a.kept[i] && k - a.kept[i] < 8);
  });
  const cfg = cfgFromMetadata((await readSafetensors(`${dir}/p90r8/pruned.safetensors`)).metadata);
  assert.deepEqual(convChannels(cfg), b.kept);
  assert.match(rounded.stdout, /rounded up from \d+/);
  const bad = await runCli([...common, "--round-to", "0", "--out", `${dir}/bad`]);
  assert.equal(bad.code, 2);
  await Deno.remove(dir, { recursive: true });
});
