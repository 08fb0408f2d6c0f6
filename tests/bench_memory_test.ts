/**
 * `deno task bench --memory`: the peak resident memory of training, ours and PyTorch's, each
 * in a fresh process, with the live tensor count before and after the steps.
 */
import assert from "node:assert/strict";
import type { MemoryResult } from "../apps/cli/bench/memory.ts";
import { runCli } from "./cli_helpers.ts";
import { haveTorch } from "./torch_helpers.ts";

Deno.test({
  name: "bench --memory measures each side's peak in its own process, and no tensor leaks",
  ignore: !haveTorch,
  fn: async () => {
    const r = await runCli([
      "bench",
      "--memory",
      "--depth",
      "11",
      "--widths",
      "0.0625,0.125",
      "--backends",
      "wasm-simd",
      "--batch-size",
      "8",
      "--threads",
      "1",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as MemoryResult;
    assert.deepEqual(result.rows.map((row) => row.model), ["VGG-11 x0.0625", "VGG-11 x0.125"]);
    for (const row of result.rows) {
      // wasm-simd: its worker threads must not keep the measuring process alive.
      assert.equal(row.backend, "wasm-simd");
      // A Deno process with tfjs loaded, and a Python one with torch, take tens of MiB.
      assert.ok(row.peakBytes! > 2 ** 25 && row.peakBytes! < 2 ** 33, `${row.peakBytes}`);
      assert.ok(row.torchPeakBytes! > 2 ** 25, `${row.torchPeakBytes}`);
      assert.ok(row.imagesPerSecond! > 0);
      assert.equal(row.tensors![1], row.tensors![0]);
    }
  },
});
