import assert from "node:assert/strict";
import { DataError } from "@slimming/tensor-utils/core";
import { renderLabReport } from "./report_step.ts";

Deno.test("a report that fails on a bad runs folder is a one-line DataError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-report-step-" });
  const lines: string[] = [];
  try {
    let caught: unknown;
    await renderLabReport(dir, (l) => lines.push(l)).catch((error) => (caught = error));
    assert.ok(caught instanceof DataError, String(caught));
    assert.match(caught.message, /lab\.json/);
    assert.doesNotMatch(caught.message, /\n|^error:/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
