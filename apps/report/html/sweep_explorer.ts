/**
 * The report page's sweep explorer: a ratio slider over the lab's sweeps that shows, at the
 * chosen ratio, each λ's threshold, parameters, FLOPs, accuracies and speed, and its kept
 * channels per layer — the numbers of `sweep.json`, embedded in the page.
 *
 * @module
 */
import type { ExplorerSweep } from "../report_writer.ts";
import { escapeHtml, scriptJson } from "./escape.ts";

/** What the page's script reads (`#sweep-data`). */
export interface ExplorerData {
  readonly ratios: number[];
  /** Index into `ratios` the slider starts at (50% where swept). */
  readonly initial: number;
  readonly layers: string[];
  readonly channelsBefore: number[];
  readonly paramsBefore: number;
  readonly flopsBefore: number;
  readonly testImages: number;
  readonly sweeps: {
    readonly label: string;
    readonly color: string;
    readonly testAccBefore: number;
    /** One per ratio of `ratios`; null where this sweep has no point there. */
    readonly points: (ExplorerPoint | null)[];
  }[];
}

/** A sweep point as the page shows it. */
export interface ExplorerPoint {
  readonly ratio: number;
  readonly threshold: number;
  readonly kept: number[];
  readonly paramsAfter: number;
  readonly flopsAfter: number;
  readonly slimTestAcc: number;
  readonly recalibratedTestAcc: number | null;
  readonly imagesPerSecond: number | null;
}

/** The explorer's data from the sweeps (all of one network, so they share their layers). */
export function explorerData(sweeps: readonly ExplorerSweep[]): ExplorerData {
  const ratios = [...new Set(sweeps.flatMap((s) => s.summary.points.map((p) => p.ratio)))]
    .sort((a, b) => a - b);
  const first = sweeps[0].summary;
  const half = ratios.findIndex((r) => Math.abs(r - 0.5) < 1e-9);
  return {
    ratios,
    initial: half >= 0 ? half : Math.floor(ratios.length / 2),
    layers: first.layerNames.map((name, i) => name || `${i + 1}`),
    channelsBefore: [...first.channelsBefore],
    paramsBefore: first.paramsBefore,
    flopsBefore: first.flopsBefore,
    testImages: first.testImages,
    sweeps: sweeps.map(({ label, color, summary }) => ({
      label,
      color,
      testAccBefore: summary.testAccBefore,
      points: ratios.map((ratio) => {
        const p = summary.points.find((q) => Math.abs(q.ratio - ratio) < 1e-9);
        return p === undefined ? null : {
          ratio: p.ratio,
          threshold: p.threshold,
          kept: [...p.kept],
          paramsAfter: p.paramsAfter,
          flopsAfter: p.flopsAfter,
          slimTestAcc: p.slimTestAcc,
          recalibratedTestAcc: p.recalibratedTestAcc ?? null,
          imagesPerSecond: p.imagesPerSecond ?? null,
        };
      }),
    })),
  };
}

/**
 * The script that fills the explorer's tables from `#sweep-data` whenever the slider moves.
 * Every shown number carries `data-field` (and `data-sweep`, `data-layer`) so a test can find it.
 */
const EXPLORER_SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById("sweep-data").textContent);
  const slider = document.getElementById("ratio-slider");
  const shown = document.getElementById("ratio-value");
  const summary = document.querySelector("#explorer-summary tbody");
  const layers = document.querySelector("#explorer-layers tbody");
  const int = (v) => Math.round(v).toLocaleString("en-US");
  const acc = (v) => (v === null || v === undefined ? "—" : v.toFixed(2) + "%");
  const pct = (v) => Math.round(v * 1000) / 10 + "%";
  const sig = (v) => Number(v.toPrecision(3)).toString();
  const cell = (text, attrs) => {
    const td = document.createElement("td");
    td.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) td.setAttribute(k, String(v));
    return td;
  };
  const render = () => {
    const index = Number(slider.value);
    const ratio = data.ratios[index];
    shown.textContent = pct(ratio);
    summary.replaceChildren();
    data.sweeps.forEach((s, j) => {
      const p = s.points[index];
      const tr = document.createElement("tr");
      const name = cell(s.label);
      name.style.borderLeft = "4px solid " + s.color;
      tr.append(name);
      const at = { "data-sweep": j };
      if (p === null) {
        tr.append(cell("not swept at this ratio", { colspan: 7 }));
      } else {
        tr.append(
          cell(sig(p.threshold), { ...at, "data-field": "threshold" }),
          cell(int(p.paramsAfter), { ...at, "data-field": "paramsAfter" }),
          cell(int(p.flopsAfter), { ...at, "data-field": "flopsAfter" }),
          cell(pct(p.flopsAfter / data.flopsBefore), at),
          cell(acc(p.slimTestAcc), { ...at, "data-field": "slimTestAcc" }),
          cell(acc(p.recalibratedTestAcc), { ...at, "data-field": "recalibratedTestAcc" }),
          cell(p.imagesPerSecond === null ? "—" : int(p.imagesPerSecond),
            { ...at, "data-field": "imagesPerSecond" }),
        );
      }
      summary.append(tr);
    });
    layers.replaceChildren();
    data.layers.forEach((layer, i) => {
      const tr = document.createElement("tr");
      tr.append(cell(layer), cell(int(data.channelsBefore[i])));
      data.sweeps.forEach((s, j) => {
        const p = s.points[index];
        const kept = p === null ? null : p.kept[i];
        const td = cell(kept === null ? "—" : int(kept),
          { "data-field": "kept", "data-sweep": j, "data-layer": i });
        if (kept !== null) {
          const bar = document.createElement("span");
          bar.className = "bar";
          bar.style.width = (60 * kept / data.channelsBefore[i]).toFixed(1) + "px";
          bar.style.background = s.color;
          td.prepend(bar);
        }
        tr.append(td);
      });
      layers.append(tr);
    });
  };
  slider.addEventListener("input", render);
  render();
  document.getElementById("sweep-explorer").dataset.ready = "true";
})();
`;

/** The explorer's HTML: slider, two tables, the data and the script. */
export function sweepExplorerHtml(sweeps: readonly ExplorerSweep[]): string {
  const data = explorerData(sweeps);
  const heads = (cells: string[]) =>
    `<tr>${cells.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  return `<section class="explorer" id="sweep-explorer">
<p class="explorer-control"><label for="ratio-slider">Channels pruned:</label>
<input type="range" id="ratio-slider" min="0" max="${
    data.ratios.length - 1
  }" step="1" value="${data.initial}">
<output id="ratio-value" for="ratio-slider"></output>
<span class="muted">unpruned: ${data.paramsBefore.toLocaleString("en-US")} params, ${
    data.flopsBefore.toLocaleString("en-US")
  } FLOPs; accuracies on ${data.testImages.toLocaleString("en-US")} test images</span></p>
<noscript><p>The slider needs JavaScript; the figure and table above show the same sweep.</p></noscript>
<table id="explorer-summary"><thead>${
    heads([
      "model",
      "threshold |γ|",
      "params",
      "FLOPs",
      "FLOPs kept",
      "slim",
      "recalibrated",
      "img/s",
    ])
  }</thead><tbody></tbody></table>
<table id="explorer-layers" class="layers"><thead>${
    heads(["layer", "before", ...data.sweeps.map((s) => `kept, ${s.label}`)])
  }</thead><tbody></tbody></table>
<script type="application/json" id="sweep-data">${scriptJson(data)}</script>
<script>${EXPLORER_SCRIPT}</script>
</section>`;
}
