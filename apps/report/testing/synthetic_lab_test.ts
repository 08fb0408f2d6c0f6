import assert from "node:assert/strict";
import { join } from "node:path";
import { labPlan, readLabSummary } from "@slimming/run-format";
import { planPrune } from "@slimming/slimming/core";
import { countFlops, countParams, vggCounts } from "@slimming/vgg/cfg";
import { readBnGammas } from "../gammas.ts";
import { QUARTER_VGG19, writeSyntheticLab } from "./synthetic_lab.ts";

Deno.test("the synthetic lab's prunes are slimming's decision on its own checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slimming-fixture-" });
  try {
    const lab = await writeSyntheticLab(dir, { convWeights: false });
    const plan = labPlan(lab.summary);
    assert.deepEqual(lab.summary.stages.map((s) => s.dir), plan.map((s) => s.dir));
    assert.deepEqual(lab.summary.stages.map((s) => s.name), plan.map((s) => s.name));
    assert.deepEqual(await readLabSummary(dir), lab.summary);
    const source = plan.find((s) => s.kind === "prune")!.source!.replace("best", "last");
    const gammas = await readBnGammas(join(dir, source));
    const abs = gammas.map((g) => g.values.map(Math.abs));
    for (const ratio of lab.summary.ratios) {
      const summary = lab.prunes[`prune-${Math.round(ratio * 100)}`];
      const report = planPrune(QUARTER_VGG19, abs, ratio, {
        minChannels: summary.minChannels,
        counts: vggCounts,
      });
      assert.equal(summary.threshold, report.threshold);
      assert.deepEqual(summary.kept, report.kept);
      assert.deepEqual(summary.guardedLayers, report.guardedLayers);
      assert.equal(summary.paramsAfter, countParams(summary.cfg));
      assert.equal(summary.flopsBefore, countFlops(QUARTER_VGG19));
    }
    assert.ok(lab.prunes["prune-90"].guardedLayers.length > 0, "the fixture guards at 90%");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
