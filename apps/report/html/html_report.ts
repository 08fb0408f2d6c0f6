/**
 * The report as one self-contained HTML page: the same blocks as the PDF (title, headings,
 * paragraphs, lists, tables, figures as inline SVG), a contents list, hover tips on every
 * figure point that has a `<title>`, and the sweep explorer. No external file, font or script:
 * it opens from disk.
 *
 * @module
 */
import type { Figure } from "../figures/svg.ts";
import type {
  ExplorerSweep,
  ParagraphOptions,
  ReportWriter,
  TableColumn,
  TableOptions,
} from "../report_writer.ts";
import { escapeHtml } from "./escape.ts";
import { sweepExplorerHtml } from "./sweep_explorer.ts";

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 14px; line-height: 1.45;
  color: #111; background: #f4f5f7; margin: 0; }
main { max-width: 860px; margin: 0 auto; padding: 24px 32px 48px; background: white; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #d0d0d0; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.subtitle, .muted { color: #555; }
p.small { font-size: 12px; }
nav.contents { font-size: 13px; background: #f7f8fa; padding: 8px 14px; border-radius: 4px; }
nav.contents a { color: #1f4f9f; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 12.5px; width: 100%; }
th { background: #eef0f3; text-align: left; border-bottom: 1px solid #888; }
th, td { padding: 3px 6px; border-bottom: 1px solid #d0d0d0; vertical-align: top; }
td.right, th.right { text-align: right; }
td.center, th.center { text-align: center; }
tr.bold td { font-weight: bold; }
figure { margin: 10px 0 16px; }
figure svg { width: 100%; height: auto; }
figcaption { color: #555; font-size: 12px; }
.explorer { border: 1px solid #d0d0d0; border-radius: 4px; padding: 8px 12px; margin: 10px 0; }
.explorer-control { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
#ratio-slider { width: 260px; }
#ratio-value { font-weight: bold; min-width: 3em; }
table.layers td { position: relative; }
table.layers .bar { display: inline-block; height: 8px; margin-right: 6px; opacity: 0.7;
  vertical-align: middle; }
#tip { position: fixed; pointer-events: none; background: rgba(20, 20, 20, 0.88); color: white;
  font-size: 12px; padding: 3px 7px; border-radius: 3px; display: none; z-index: 10; }
`;

/** Shows an element's SVG `<title>` in a tip that follows the pointer. */
const TIP_SCRIPT = `
(() => {
  const tip = document.getElementById("tip");
  document.addEventListener("mousemove", (event) => {
    const target = event.target;
    const title = target && target.closest && target.closest("svg *") &&
      Array.from(target.children || []).find((c) => c.tagName.toLowerCase() === "title");
    if (!title) { tip.style.display = "none"; return; }
    tip.textContent = title.textContent;
    tip.style.left = event.clientX + 12 + "px";
    tip.style.top = event.clientY + 12 + "px";
    tip.style.display = "block";
  });
})();
`;

/** Metadata of the page. */
export interface HtmlReportInfo {
  readonly title: string;
  readonly footer: string;
}

/** A report page being written; {@linkcode HtmlReport.finish} returns the HTML text. */
export class HtmlReport implements ReportWriter {
  readonly medium = "html" as const;
  readonly #info: HtmlReportInfo;
  readonly #blocks: string[] = [];
  readonly #contents: { id: string; text: string }[] = [];
  #headings = 0;

  constructor(info: HtmlReportInfo) {
    this.#info = info;
  }

  title(text: string, subtitle?: string): void {
    this.#blocks.push(`<h1>${escapeHtml(text)}</h1>`);
    if (subtitle) this.#blocks.push(`<p class="subtitle">${escapeHtml(subtitle)}</p>`);
    this.#blocks.push("<!--contents-->");
  }

  heading(text: string): void {
    const id = `section-${++this.#headings}`;
    this.#contents.push({ id, text });
    this.#blocks.push(`<h2 id="${id}">${escapeHtml(text)}</h2>`);
  }

  subheading(text: string): void {
    this.#blocks.push(`<h3>${escapeHtml(text)}</h3>`);
  }

  paragraph(text: string, options: ParagraphOptions = {}): void {
    const classes = [options.muted ? "muted" : "", options.small ? "small" : ""].filter(Boolean);
    const cls = classes.length > 0 ? ` class="${classes.join(" ")}"` : "";
    this.#blocks.push(`<p${cls}>${escapeHtml(text)}</p>`);
  }

  bullets(items: readonly string[]): void {
    this.#blocks.push(`<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`);
  }

  table(
    columns: readonly TableColumn[],
    rows: readonly (readonly string[])[],
    options: TableOptions = {},
  ): void {
    const align = (i: number) => {
      const a = columns[i]?.align;
      return a && a !== "left" ? ` class="${a}"` : "";
    };
    const bold = new Set(options.boldRows ?? []);
    const head = columns.map((c, i) => `<th${align(i)}>${escapeHtml(c.header)}</th>`).join("");
    const body = rows.map((row, r) =>
      `<tr${bold.has(r) ? ' class="bold"' : ""}>${
        row.map((cell, i) => `<td${align(i)}>${escapeHtml(cell)}</td>`).join("")
      }</tr>`
    ).join("\n");
    this.#blocks.push(`<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`);
  }

  figure(figure: Figure, caption?: string): void {
    this.#blocks.push(
      `<figure id="figure-${escapeHtml(figure.name)}">${figure.svg}${
        caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : ""
      }</figure>`,
    );
  }

  sweepExplorer(sweeps: readonly ExplorerSweep[]): void {
    if (sweeps.length === 0) return;
    this.#blocks.push(sweepExplorerHtml(sweeps));
  }

  /** The finished page. */
  finish(): string {
    const contents = `<nav class="contents"><strong>Contents</strong><ol>${
      this.#contents.map((c) => `<li><a href="#${c.id}">${escapeHtml(c.text)}</a></li>`).join("")
    }</ol></nav>`;
    const body = this.#blocks.map((b) => (b === "<!--contents-->" ? contents : b)).join("\n");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(this.#info.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
<p class="muted small">${escapeHtml(this.#info.footer)}</p>
</main>
<div id="tip"></div>
<script>${TIP_SCRIPT}</script>
</body>
</html>
`;
  }
}
