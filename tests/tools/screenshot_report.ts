/**
 * A PNG of a lab's report.html in headless chromium, scrolled to the sweep explorer with the
 * slider at a ratio: `deno run -A tests/tools/screenshot_report.ts runs/lab/report.html
 * docs/report_html.png 0.5`.
 *
 * @module
 */
import { findChromium, openPage } from "../chromium.ts";

const [htmlPath, pngPath, ratioText = "0.5"] = Deno.args;
if (!htmlPath || !pngPath) {
  console.error("usage: screenshot_report.ts REPORT.html OUT.png [RATIO]");
  Deno.exit(2);
}
const chromium = findChromium();
if (!chromium) {
  console.error("no chromium on PATH (apt-get install chromium)");
  Deno.exit(1);
}
const page = await openPage(chromium, `file://${await Deno.realPath(htmlPath)}`);
try {
  await page.waitFor(`document.getElementById("sweep-explorer")?.dataset.ready ?? null`, 30_000);
  await page.waitFor(
    `(() => { const s = document.getElementById("ratio-slider");
      const data = JSON.parse(document.getElementById("sweep-data").textContent);
      const i = data.ratios.findIndex((r) => Math.abs(r - ${Number(ratioText)}) < 1e-9);
      s.value = String(i < 0 ? data.initial : i);
      s.dispatchEvent(new Event("input", { bubbles: true }));
      return true; })()`,
    5_000,
  );
  // From section 5's heading to the end of the explorer.
  const clip = await page.waitFor<{ x: number; y: number; width: number; height: number }>(
    `(() => { const top = document.getElementById("section-5").getBoundingClientRect();
      const end = document.getElementById("sweep-explorer").getBoundingClientRect();
      const main = document.querySelector("main").getBoundingClientRect();
      return { x: main.left + scrollX, y: top.top + scrollY - 8, width: main.width,
        height: end.bottom - top.top + 16 }; })()`,
    5_000,
  );
  await Deno.writeFile(pngPath, await page.screenshot(clip));
  console.log(`wrote ${pngPath}`);
} finally {
  await page.close();
}
