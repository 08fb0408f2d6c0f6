/**
 * A lab that is only partly run still renders: missing stages say "not run", their figures
 * are left out (and stale copies removed), and a lab with no problems says so plainly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIGURE_NAMES, renderReport } from "@slimming/report";
import {
  compact,
  hasPoppler,
  markGroups,
  parseSvg,
  pdfInfo,
  pdfText,
  writeSyntheticLab,
} from "@slimming/report/testing";
import { stageDir } from "@slimming/run-format";

const poppler = await hasPoppler();

async function withTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function figureNames(paths: string[]): string[] {
  return paths.map((p) => p.slice(p.lastIndexOf("/") + 1, -".svg".length));
}

Deno.test("a lab without fine-tuning and without one λ renders with 'not run'", async (t) => {
  await withTempDir("report_partial_", async (root) => {
    const lab = await writeSyntheticLab(join(root, "runs"), {
      omit: ["sparsity-1e-5", "finetune-50", "finetune-90"],
    });
    const outDir = join(root, "out");
    // A full render first, so that the partial one has a stale fine-tune figure to remove.
    const full = await writeSyntheticLab(join(root, "full"), { sweepRatios: [0.3, 0.6, 0.9] });
    const before = await renderReport({ runsDir: full.dir, outDir });
    assert.deepEqual(figureNames(before.svgPaths), [...FIGURE_NAMES]);

    const result = await renderReport({ runsDir: lab.dir, outDir });
    assert.deepEqual(figureNames(result.svgPaths), [
      "sparsity_accuracy",
      "gamma_histograms",
      "pruned_channels",
    ]);
    const leftOver = [...Deno.readDirSync(join(outDir, "figures"))].map((e) => e.name).sort();
    assert.deepEqual(leftOver, [
      "gamma_histograms.svg",
      "pruned_channels.svg",
      "sparsity_accuracy.svg",
    ]);

    const histograms = parseSvg(
      await Deno.readTextFile(join(outDir, "figures", "gamma_histograms.svg")),
    );
    assert.equal(markGroups(histograms, "histogram bin").length, 2, "two λ were run");
    const texts = Array.from(histograms.querySelectorAll("text")).map((n) => n.textContent);
    assert.ok(texts.includes("not run"), "the missing λ's panel says not run");

    await t.step({
      name: "the PDF says so (pdftotext)",
      ignore: !poppler, // poppler-utils (pdftotext, pdfinfo) is not installed
      fn: async () => {
        assert.ok(Number((await pdfInfo(result.pdfPath)).Pages) >= 3);
        const text = compact(await pdfText(result.pdfPath));
        for (
          const heading of ["1. Sparsity training", "4. Fine-tuning", "7. Problems met and how"]
        ) assert.ok(text.includes(compact(heading)), heading);
        assert.ok(text.includes(compact("Not run: no data for this figure yet.")), "figure 4");
        assert.ok(
          text.includes(
            compact("Not run: sparsity training λ = 1e-5, fine-tune 50%, fine-tune 90%"),
          ),
          "problems section lists what did not run",
        );
        assert.ok(
          text.includes(compact("Fine-tuning was not run, so this accuracy was not recovered")),
        );
        // The prunes still report their numbers.
        const prune = lab.prunes[stageDir("prune", 0.9)];
        assert.ok(text.includes(`${prune.slimTestAcc.toFixed(2)}%`));
      },
    });
  });
});

Deno.test("a lab.json with no stages yet renders a short report", async (t) => {
  await withTempDir("report_empty_", async (root) => {
    await Deno.writeTextFile(
      join(root, "lab.json"),
      JSON.stringify({ profile: "smoke", lambdas: [1e-4], ratios: [0.9], stages: [], events: [] }),
    );
    const result = await renderReport({ runsDir: root });
    assert.deepEqual(result.svgPaths, []);
    await t.step({
      name: "the PDF says so (pdftotext)",
      ignore: !poppler, // poppler-utils (pdftotext, pdfinfo) is not installed
      fn: async () => {
        const text = compact(await pdfText(result.pdfPath));
        assert.ok(text.includes(compact("lab.json lists no stages: nothing has run yet.")));
        assert.ok(text.includes(compact("7. Problems met and how they were solved")));
        assert.ok(text.includes(compact("Not run: sparsity training λ = 1e-4, prune 90%")));
      },
    });
  });
});

Deno.test("a lab without events or problems says so plainly", async (t) => {
  await withTempDir("report_clean_", async (root) => {
    const lab = await writeSyntheticLab(join(root, "runs"), {
      ratios: [0.5],
      minChannels: 1,
      events: [],
    });
    assert.deepEqual(lab.prunes[stageDir("prune", 0.5)].guardedLayers, [], "fixture precondition");
    const result = await renderReport({ runsDir: lab.dir });
    await t.step({
      name: "the PDF says so (pdftotext)",
      ignore: !poppler, // poppler-utils (pdftotext, pdfinfo) is not installed
      fn: async () => {
        const text = compact(await pdfText(result.pdfPath));
        assert.ok(text.includes(compact("No problems were detected")));
        assert.ok(!text.includes(compact("Found in the results")));
      },
    });
  });
});
