/**
 * End to end: a synthetic lab (written from code) rendered to report.pdf and figures/*.svg,
 * checked with poppler (skipped when pdfinfo is missing) and by parsing the SVGs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildReport, loadLab, recipeText, renderReport } from "@slimming/report";
import {
  compact,
  FIXTURE_RECIPE,
  hasPoppler,
  markElements,
  markGroups,
  overlappingWords,
  parseSvg,
  pdfInfo,
  pdfText,
  pdfWords,
  run,
  writeSyntheticLab,
} from "@slimming/report/testing";
import { scaledDownFrom, stageDir } from "@slimming/run-format";

const HEADINGS = [
  "Network Slimming on CIFAR-10",
  "1. Sparsity training",
  "2. Scaling factors",
  "3. Pruning",
  "4. Fine-tuning",
  "5. The pruning curve: what ratio can I afford?",
  "6. Beside the paper",
  "7. Problems met and how they were solved",
];

Deno.test("report of a full synthetic lab", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "report_full_" });
  try {
    const lab = await writeSyntheticLab(join(root, "runs"));
    const outDir = join(root, "out");
    const result = await renderReport({ runsDir: lab.dir, outDir });
    const poppler = await hasPoppler();
    const svg = async (name: string) =>
      parseSvg(await Deno.readTextFile(join(outDir, "figures", `${name}.svg`)));

    await t.step("writes report.pdf and one SVG per figure", async () => {
      assert.equal(result.pdfPath, join(outDir, "report.pdf"));
      assert.deepEqual(
        result.svgPaths.map((p) => p.slice(outDir.length + 1)),
        [
          "figures/sparsity_accuracy.svg",
          "figures/gamma_histograms.svg",
          "figures/pruned_channels.svg",
          "figures/finetune_accuracy.svg",
        ],
      );
      const pdf = await Deno.readFile(result.pdfPath);
      assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
      for (const path of result.svgPaths) {
        const text = await Deno.readTextFile(path);
        assert.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
        assert.doesNotMatch(text, /<figure|<div|<span/, `${path} holds HTML`);
      }
    });

    await t.step({
      name: "pdfinfo reads an A4 document with several pages",
      ignore: !poppler,
      fn: async () => {
        const info = await pdfInfo(result.pdfPath);
        assert.match(info["Page size"], /^595\.2\d x 841\.8\d pts \(A4\)/);
        assert.ok(Number(info.Pages) >= 4, `only ${info.Pages} pages`);
        assert.equal(info.Title, "Network Slimming on CIFAR-10");
      },
    });

    await t.step({
      name: "pdftotext finds every heading and the fixture's numbers",
      ignore: !poppler,
      fn: async () => {
        const text = compact(await pdfText(result.pdfPath));
        const expect = (needle: string, why: string) =>
          assert.ok(text.includes(compact(needle)), `missing ${why}: ${needle}`);
        for (const heading of HEADINGS) expect(heading, "heading");
        // Metadata from lab.json.
        expect("fixture", "profile");
        expect("synthetic fixture", "data source");
        // The changes from the paper are computed from lab.json's settings, never copied
        // from its stored list (the fixture's stored list describes another profile).
        for (const line of scaledDownFrom(lab.summary)) expect(line, "change from the paper");
        assert.ok(!text.includes(compact(lab.summary.scaledDown[0])), "stored list printed");
        expect(`Recipe: ${recipeText(FIXTURE_RECIPE)}`, "recipe");
        // Section 5: the paper's numbers beside ours.
        for (const n of ["93.66%", "93.77%", "93.80%", "93.78%", "20.04M → 2.30M (−89%)"]) {
          expect(n, "paper number");
        }
        for (const stage of lab.summary.stages) expect(stage.name, "stage row");
        expect("λ = 1e-4", "λ label");
        expect("λ = 1e-5", "λ label");
        // Section 1: final test accuracy of every sparsity run.
        for (const lambda of lab.summary.lambdas) {
          const last = lab.histories[stageDir("train", lambda)].at(-1)!;
          expect(`${last.testAcc.toFixed(2)}%`, `final test accuracy of λ=${lambda}`);
        }
        // Section 3: thresholds and accuracies from prune.json.
        for (const ratio of lab.summary.ratios) {
          const prune = lab.prunes[stageDir("prune", ratio)];
          expect(String(Number(prune.threshold.toPrecision(3))), `threshold at ${ratio}`);
          expect(`${prune.slimTestAcc.toFixed(2)}%`, `slim accuracy at ${ratio}`);
          expect(`${prune.maskedTestAcc!.toFixed(2)}%`, `masked accuracy at ${ratio}`);
          expect(
            `${prune.recalibratedTestAcc!.toFixed(2)}% (1,500 images)`,
            `recalibrated accuracy at ${ratio}`,
          );
        }
        const prune90 = lab.prunes[stageDir("prune", 0.9)];
        expect(`${prune90.testAccBefore.toFixed(2)}%`, "accuracy before pruning");
        // Section 4: final fine-tune accuracy.
        const finetuned = lab.histories[stageDir("finetune", 0.9)].at(-1)!;
        expect(`${finetuned.testAcc.toFixed(2)}%`, "final fine-tuned accuracy");
        // Section 5: events and the guarded layers with their kept counts.
        for (const event of lab.summary.events) expect(event.message, "lab event");
        assert.ok(prune90.guardedLayers.length > 0, "fixture should guard layers at 90%");
        for (const i of prune90.guardedLayers) {
          expect(`(kept ${prune90.kept[i]} of ${prune90.channelsBefore[i]})`, "guarded layer");
        }
        expect("collapsed test accuracy", "collapse finding");
        expect("Fine-tuning for 8 epochs recovered it to", "recovery finding");
        assert.ok(!text.includes("Notrun"), "a full lab has no 'Not run' finding or figure");
        assert.ok(!text.includes("NaN") && !text.includes("undefined"));
      },
    });

    await t.step({
      name: "no two words overlap on any page, and none leaves the page",
      ignore: !poppler,
      fn: async () => {
        const words = await pdfWords(result.pdfPath);
        assert.ok(words.length > 500, `only ${words.length} words`);
        const overlaps = overlappingWords(words).map(([a, b]) =>
          `page ${a.page}: "${a.text}" and "${b.text}" at (${a.xMin.toFixed(0)}, ${
            a.yMin.toFixed(0)
          })`
        );
        assert.deepEqual(overlaps, []);
        const outside = words.filter((w) =>
          w.xMin < 0 || w.yMin < 0 || w.xMax > 595.3 || w.yMax > 841.9
        );
        assert.deepEqual(outside, []);
      },
    });

    await t.step("accuracy figures draw one line per model and split", async () => {
      const sparsity = await svg("sparsity_accuracy");
      const lambdas = lab.summary.lambdas.length;
      for (const split of ["test accuracy", "train accuracy"]) {
        const paths = markElements(sparsity, split);
        assert.equal(paths.length, lambdas, `${split} lines`);
        assert.ok(paths.every((p) => p.tagName.toLowerCase() === "path"));
      }
      const legend = markGroups(sparsity, "legend");
      assert.equal(legend.length, 0, "legend is a plain group, not a Plot mark");
      const legendText = Array.from(sparsity.querySelectorAll('g[aria-label="legend"] text'))
        .map((n) => n.textContent);
      assert.deepEqual(legendText, ["λ = 0", "λ = 1e-5", "λ = 1e-4", "test", "train"]);

      const finetune = await svg("finetune_accuracy");
      assert.equal(markElements(finetune, "test accuracy").length, 2);
      assert.equal(markElements(finetune, "train accuracy").length, 2);
      assert.equal(markElements(finetune, "start point").length, 2);
    });

    await t.step("histograms draw every bin as a rect, one panel per λ", async () => {
      const figure = await svg("gamma_histograms");
      const panels = markGroups(figure, "histogram bin");
      assert.equal(panels.length, 3);
      const heights = panels.map((g) =>
        Array.from(g.children).map((rect) => {
          assert.equal(rect.tagName.toLowerCase(), "rect");
          return Number(rect.getAttribute("height"));
        })
      );
      for (const bins of heights) assert.equal(bins.length, 30);
      // λ = 0: γ around 0.45, the first bin is small; λ = 1e-4: most γ near 0.
      const tallest = (bins: number[]) => bins.indexOf(Math.max(...bins));
      assert.notEqual(tallest(heights[0]), 0);
      assert.equal(tallest(heights[2]), 0);
    });

    await t.step(
      "channel bars: a bar per layer and model, a marker per guarded layer",
      async () => {
        const figure = await svg("pruned_channels");
        const layers = lab.prunes[stageDir("prune", 0.5)].channelsBefore.length;
        assert.equal(markElements(figure, "channels").length, layers * 3);
        const guarded = Object.values(lab.prunes).reduce((n, p) => n + p.guardedLayers.length, 0);
        assert.equal(markElements(figure, "guard marker").length, guarded);
        const ticks = Array.from(figure.querySelectorAll("text")).map((n) => n.textContent);
        assert.ok(ticks.includes("conv1_1") && ticks.includes("conv5_4"), "layer names on x");
      },
    );

    await t.step({
      name: "pdftoppm renders every page",
      ignore: !poppler,
      fn: async () => {
        const pages = Number((await pdfInfo(result.pdfPath)).Pages);
        const prefix = join(root, "page");
        const rendered = await run("pdftoppm", ["-png", "-r", "40", result.pdfPath, prefix]);
        assert.equal(rendered.code, 0, rendered.stderr);
        const pngs = [...Deno.readDirSync(root)].filter((e) => /^page-\d+\.png$/.test(e.name));
        assert.equal(pngs.length, pages);
        assert.equal(rendered.stderr.trim(), "", "poppler warnings");
      },
    });

    await t.step("svg-to-pdfkit draws every figure without a warning", async () => {
      const built = await buildReport(await loadLab(lab.dir));
      assert.deepEqual(built.warnings, []);
      assert.equal(built.figures.length, 4);
    });

    await t.step("the same lab renders to the same bytes", async () => {
      const again = await renderReport({ runsDir: lab.dir, outDir: join(root, "again") });
      assert.deepEqual(await Deno.readFile(again.pdfPath), await Deno.readFile(result.pdfPath));
      for (const [i, path] of again.svgPaths.entries()) {
        assert.equal(await Deno.readTextFile(path), await Deno.readTextFile(result.svgPaths[i]));
      }
    });

    await t.step("default output folder is the runs folder", async () => {
      const inPlace = await renderReport({ runsDir: lab.dir });
      assert.equal(inPlace.pdfPath, join(lab.dir, "report.pdf"));
      assert.ok((await Deno.stat(join(lab.dir, "figures", "gamma_histograms.svg"))).isFile);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a paper-size lab (VGG-19, 160 epochs) lays out without overlapping words",
  ignore: !(await hasPoppler()),
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "report_paper_" });
    try {
      const cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"] as const;
      const lab = await writeSyntheticLab(root, {
        cfg: [...cfg, 512, 512, 512, 512, "M", 512, 512, 512, 512],
        epochs: 160,
        finetuneEpochs: 160,
        minChannels: 8,
        convWeights: false,
        profile: "paper",
        events: [
          { stage: "sparsity-1e-4", kind: "resumed", message: "resumed from epoch 73" },
          {
            stage: "finetune-90",
            kind: "time-budget",
            message: "stopped after 140 of 160 epochs because the six-hour budget ran out",
          },
        ],
      });
      const result = await renderReport({ runsDir: lab.dir });
      const overlaps = overlappingWords(await pdfWords(result.pdfPath)).map(([a, b]) =>
        `page ${a.page}: "${a.text}" and "${b.text}"`
      );
      assert.deepEqual(overlaps, []);
      const text = compact(await pdfText(result.pdfPath));
      assert.ok(text.includes(compact("stopped after 140 of 160 epochs")));
      assert.ok(text.includes(compact("160 / 160")), "epochs column");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "a fine-tune distilled from a teacher says so, with α and T",
  ignore: !(await hasPoppler()), // poppler-utils (pdftotext) is not installed
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "report_kd_" });
    try {
      const lab = await writeSyntheticLab(join(root, "runs"));
      for (const ratio of [0.5, 0.9]) {
        const path = join(lab.dir, stageDir("finetune", ratio), "config.json");
        const config = JSON.parse(await Deno.readTextFile(path));
        await Deno.writeTextFile(
          path,
          JSON.stringify({
            ...config,
            teacher: "runs/lab/sparsity-8e-4/best.safetensors",
            kdWeight: 0.9,
            kdTemperature: 4,
          }),
        );
      }
      const result = await renderReport({ runsDir: lab.dir });
      const text = (await pdfText(result.pdfPath)).replace(/\s+/g, " ");
      assert.match(text, /distilled from runs\/lab\/sparsity-8e-4\/best\.safetensors/);
      assert.match(text, /α = 0\.9, T = 4/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
