/**
 * report.html in a real browser: headless Debian `chromium` opens the page from disk, the
 * slider is moved to every swept ratio, and the numbers the page shows are sweep.json's.
 * Also: the page is self-contained (no external URL), and has the PDF's sections.
 */
import assert from "node:assert/strict";
import { renderReport } from "@slimming/report";
import { compact, hasPoppler, pdfText, writeSyntheticLab } from "@slimming/report/testing";
import { readSweepSummary, stageDir, type SweepSummary } from "@slimming/run-format";
import { findChromium, openPage } from "./chromium.ts";

const chromium = findChromium();
if (!chromium) console.log("report.html test: no chromium on PATH (apt-get install chromium)");

const SWEEP_RATIOS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const LAMBDAS = [0, 1e-5, 1e-4];

/** What the explorer shows for sweep `j`, read back from the page's cells. */
interface Shown {
  readonly ratio: string;
  readonly rows: Record<string, string>[];
  readonly kept: string[][];
}

const READ_SHOWN = `(() => {
  const root = document.getElementById("sweep-explorer");
  if (!root || root.dataset.ready !== "true") return null;
  const text = (el) => el.textContent.replace(/^\\s+|\\s+$/g, "");
  const rows = [];
  const kept = [];
  for (const cell of root.querySelectorAll("[data-field]")) {
    const j = Number(cell.dataset.sweep);
    if (cell.dataset.field === "kept") {
      (kept[j] ??= [])[Number(cell.dataset.layer)] = text(cell);
    } else {
      (rows[j] ??= {})[cell.dataset.field] = text(cell);
    }
  }
  return { ratio: document.getElementById("ratio-value").textContent, rows, kept };
})()`;

const setSlider = (index: number) =>
  `(() => { const s = document.getElementById("ratio-slider"); s.value = "${index}"; ` +
  `s.dispatchEvent(new Event("input", { bubbles: true })); return true; })()`;

const number = (text: string) => Number(text.replace(/[,%]/g, ""));

function checkShown(shown: Shown, sweeps: SweepSummary[], ratio: number): void {
  assert.equal(shown.ratio, `${Math.round(ratio * 1000) / 10}%`);
  sweeps.forEach((sweep, j) => {
    const p = sweep.points.find((q) => Math.abs(q.ratio - ratio) < 1e-9)!;
    const row = shown.rows[j];
    assert.equal(number(row.paramsAfter), p.paramsAfter, `params, sweep ${j}, ratio ${ratio}`);
    assert.equal(number(row.flopsAfter), p.flopsAfter, `FLOPs, sweep ${j}, ratio ${ratio}`);
    assert.equal(row.slimTestAcc, `${p.slimTestAcc.toFixed(2)}%`);
    assert.equal(row.recalibratedTestAcc, `${p.recalibratedTestAcc!.toFixed(2)}%`);
    assert.equal(number(row.threshold), Number(p.threshold.toPrecision(3)));
    assert.equal(number(row.imagesPerSecond), Math.round(p.imagesPerSecond));
    assert.deepEqual(shown.kept[j].map(number), p.kept, `kept channels, sweep ${j}`);
  });
}

Deno.test({
  name: "report.html: the slider shows sweep.json's numbers at every ratio (headless chromium)",
  ignore: chromium === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "report_html_" });
    try {
      await writeSyntheticLab(dir, { lambdas: LAMBDAS, sweepRatios: SWEEP_RATIOS });
      const { htmlPath } = await renderReport({ runsDir: dir });
      const sweeps = await Promise.all(
        LAMBDAS.map(async (l) => (await readSweepSummary(`${dir}/${stageDir("sweep", l)}`))!),
      );
      const page = await openPage(chromium!, `file://${htmlPath}`);
      try {
        const initial = await page.waitFor<Shown>(READ_SHOWN, 30_000);
        checkShown(initial, sweeps, 0.5);
        for (const [index, ratio] of SWEEP_RATIOS.entries()) {
          await page.waitFor(setSlider(index), 5_000);
          checkShown(await page.waitFor<Shown>(READ_SHOWN, 5_000), sweeps, ratio);
        }
        const tips = await page.waitFor<number>(
          `document.querySelectorAll("#figure-pruning_curve svg title").length`,
          5_000,
        );
        assert.ok(tips >= LAMBDAS.length * SWEEP_RATIOS.length, `${tips} hover tips`);
        const png = await page.screenshot();
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      } finally {
        await page.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const poppler = await hasPoppler();

Deno.test("report.html: self-contained, the PDF's sections, the explorer's data", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "report_html_static_" });
  try {
    await writeSyntheticLab(dir, { lambdas: LAMBDAS, sweepRatios: SWEEP_RATIOS });
    const { htmlPath, pdfPath, svgPaths } = await renderReport({ runsDir: dir });
    assert.ok(svgPaths.some((p) => p.endsWith("/pruning_curve.svg")));
    await t.step({
      name: "the PDF has the curve, its table and where each knee is",
      ignore: !poppler, // poppler-utils (pdftotext) is not installed
      fn: async () => {
        const text = compact(await pdfText(pdfPath));
        for (
          const phrase of [
            "5. The pruning curve: what ratio can I afford?",
            "Figure 5. Test accuracy against the share of channels pruned",
            "Where the pruning curves fall (section 5)",
            // The fixture's knees: 30% for λ = 0, 70% for the largest λ.
            "λ = 0's curve holds to 30%",
            "The sparsity training moved the knee",
          ]
        ) assert.ok(text.includes(compact(phrase)), phrase);
      },
    });
    const html = await Deno.readTextFile(htmlPath);
    assert.doesNotMatch(html, /<(script|img|link|iframe)[^>]*\s(src|href)=/i);
    assert.doesNotMatch(html, /url\(\s*['"]?https?:/i);
    for (
      const heading of [
        "1. Sparsity training",
        "3. Pruning",
        "5. The pruning curve: what ratio can I afford?",
        "7. Problems met and how they were solved",
        "Where the pruning curves fall (section 5)",
      ]
    ) assert.ok(html.includes(heading), heading);
    for (const name of ["sparsity_accuracy", "pruning_curve", "finetune_accuracy"]) {
      assert.ok(html.includes(`id="figure-${name}"`), name);
    }
    const json = /<script type="application\/json" id="sweep-data">(.*?)<\/script>/s.exec(html);
    assert.ok(json, "the explorer's data");
    const data = JSON.parse(json[1]);
    assert.deepEqual(data.ratios, SWEEP_RATIOS);
    assert.equal(data.sweeps.length, LAMBDAS.length);
    assert.equal(data.initial, SWEEP_RATIOS.indexOf(0.5));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
