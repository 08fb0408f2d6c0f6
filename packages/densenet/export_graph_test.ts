import assert from "node:assert/strict";
import { disposeTree } from "@slimming/tensor-utils";
import { exportFiles, type ExportSpec } from "@slimming/export";
import { exportedOnnx, exportedTfjs, TEST_EXPORT_OPTIONS } from "@slimming/export/testing";
import { densenetBnWidths } from "./cfg.ts";
import { densenetExportGraph } from "./export_graph.ts";
import { toStateDict as densenetStateDict } from "./state_dict.ts";
import { randomDensenet } from "./testing.ts";

Deno.test("DenseNet export: every BN stays, a Gather per narrowed selection, concatenations", async () => {
  const depth = 10;
  const widths = densenetBnWidths(depth, 3);
  // Narrow every other selection.
  const cfg = widths.map((w, i) => (i % 2 === 0 ? Math.max(1, w - 2) : w));
  const params = randomDensenet({ depth, growthRate: 3, cfg }, 4, "distinct", 2);
  const dict = await densenetStateDict(params);
  disposeTree(params);
  const spec: ExportSpec = { arch: "densenet", depth, growthRate: 3, cfg };
  const narrowed = cfg.filter((c, i) => c < widths[i]).length;
  for (const foldBn of [true, false]) {
    const { count, meta } = exportedOnnx(spec, dict, densenetExportGraph, foldBn);
    assert.equal(count("BatchNormalization"), 9, "no BN follows a conv it alone reads");
    assert.equal(count("Gather"), narrowed);
    assert.equal(count("Concat"), 6);
    assert.equal(count("AveragePool"), 3);
    assert.equal(count("Conv"), 1 + 6 + 2);
    assert.equal(meta.arch, "densenet");
    assert.equal(meta.depth, depth);
    assert.equal(meta.growthRate, 3);
    assert.deepEqual(meta.cfg, cfg);
    assert.equal(meta.planes, undefined);
    const tfjs = exportedTfjs(spec, dict, densenetExportGraph, foldBn);
    assert.equal(tfjs.count("Concatenate"), 6);
    // Selections are 1x1 convs: the stem, 6 dense layers, 2 transitions and one per narrowing.
    assert.equal(tfjs.count("Conv2D"), 9 + narrowed);
  }
});

Deno.test("DenseNet export refuses a spec without its growth rate", async () => {
  const params = randomDensenet({ depth: 7, growthRate: 2, cfg: densenetBnWidths(7, 2) }, 5);
  const dict = await densenetStateDict(params);
  disposeTree(params);
  const onnx = { ...TEST_EXPORT_OPTIONS, format: "onnx" as const, graph: densenetExportGraph };
  assert.throws(
    () => exportFiles({ arch: "densenet", depth: 7, cfg: densenetBnWidths(7, 2) }, dict, onnx),
    /growthRate/,
  );
});
