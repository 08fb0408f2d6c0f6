/**
 * `deno task bench --exported`: times an exported ONNX and tfjs model (and our forward pass on
 * their source checkpoint); a folder without an exported model is a usage error.
 */
import assert from "node:assert/strict";
import { disposeTree, encodeSafetensors } from "@slimming/tensor-utils";
import { checkpointMetadata, countParams, toStateDict } from "@slimming/vgg";
import type { ExportedTiming } from "../apps/cli/bench/exported.ts";
import { randomBnVgg, SMALL_CFG } from "@slimming/vgg/testing";
import { runCli } from "./cli_helpers.ts";

Deno.test("bench --exported times ONNX Runtime, stock tfjs and ours", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-exported-" });
  const params = await randomBnVgg(SMALL_CFG, 2);
  const ckpt = `${dir}/model.safetensors`;
  await Deno.writeFile(
    ckpt,
    encodeSafetensors(await toStateDict(params), checkpointMetadata(params.cfg)),
  );
  disposeTree(params);
  for (const format of ["onnx", "tfjs"]) {
    const r = await runCli([
      "export",
      "--checkpoint",
      ckpt,
      "--format",
      format,
      "--out",
      `${dir}/${format}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await runCli([
    "bench",
    "--exported",
    `${dir}/onnx`,
    `${dir}/tfjs`,
    "--rounds",
    "1",
    "--latency-runs",
    "2",
    "--tfjs-backend",
    "cpu",
    "--ours-backend",
    "cpu",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const timings = JSON.parse(r.stdout) as ExportedTiming[];
  assert.deepEqual(timings.map((t) => t.runtime), [
    "onnxruntime-node cpu",
    "ours (cpu)",
    "tfjs cpu",
  ]);
  for (const t of timings) {
    assert.equal(t.params, countParams(SMALL_CFG));
    assert.ok(t.latencyMs > 0 && Number.isFinite(t.latencyMs));
    assert.ok(t.imagesPerSecond > 0 && Number.isFinite(t.imagesPerSecond));
  }
  const bad = await runCli(["bench", "--exported", dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /holds no model\.json or model\.onnx/);
  await Deno.remove(dir, { recursive: true });
});
