/**
 * Distribution of |γ| per λ, like the paper's Fig. 4: one small histogram per model side
 * by side, all on the same x scale, each with its own count scale, titled by λ.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { MeasureText } from "../fonts.ts";
import { histogram } from "../histogram.ts";
import { basePlotOptions } from "./plot_style.ts";
import { composeFigure, type Figure, type Placed, svgElement, type SvgNode } from "./svg.ts";
import { FONT_SIZE, MUTED_COLOR } from "./theme.ts";

/** One panel: |γ| of one model, or none ("not run"). */
export interface GammaPanel {
  readonly title: string;
  /** A second title line (e.g. how many |γ| are below 1e-2). */
  readonly subtitle: string;
  readonly color: string;
  readonly absGammas?: ArrayLike<number>;
}

/** What to draw. */
export interface GammaHistogramsOptions {
  readonly name: string;
  readonly panels: readonly GammaPanel[];
  /** Upper end of the shared x scale (lower end is 0). */
  readonly maxAbsGamma: number;
  readonly bins: number;
  readonly width: number;
  readonly panelHeight: number;
  readonly measure: MeasureText;
}

const GAP = 10;
const HEADER = 2 * FONT_SIZE + 10;
const PER_ROW = 3;

/** Margins of a histogram panel (the "not run" placeholder fills the same frame). */
const MARGIN = { top: 18, right: 8, bottom: 30, left: 38 };

function emptyPanel(width: number, height: number, text: string): SvgNode {
  const frameWidth = width - MARGIN.left - MARGIN.right;
  const frameHeight = height - MARGIN.top - MARGIN.bottom;
  const group = svgElement("g");
  group.appendChild(svgElement("rect", {
    x: MARGIN.left,
    y: MARGIN.top,
    width: frameWidth,
    height: frameHeight,
    fill: "none",
    stroke: "#cccccc",
  }));
  group.appendChild(svgElement("text", {
    x: MARGIN.left + frameWidth / 2,
    y: MARGIN.top + frameHeight / 2,
    dy: "0.32em",
    "text-anchor": "middle",
    fill: MUTED_COLOR,
    "font-size": FONT_SIZE + 1,
  }, text));
  return group;
}

function histogramPanel(
  values: ArrayLike<number>,
  options: GammaHistogramsOptions,
  color: string,
  width: number,
): SvgNode {
  const bins = histogram(values, 0, options.maxAbsGamma, options.bins);
  return Plot.plot({
    ...basePlotOptions(width, options.panelHeight),
    marginLeft: MARGIN.left,
    marginRight: MARGIN.right,
    marginTop: MARGIN.top,
    marginBottom: MARGIN.bottom,
    x: { label: "|γ|", labelAnchor: "right", domain: [0, options.maxAbsGamma], ticks: 4 },
    y: { label: "channels", grid: true, ticks: 5 },
    marks: [
      Plot.rectY(bins, {
        x1: "x0",
        x2: "x1",
        y: "count",
        fill: color,
        insetLeft: 0.3,
        ariaDescription: "histogram bin",
      }),
      Plot.ruleY([0]),
    ],
  }) as unknown as SvgNode;
}

/** Truncates `text` with "…" until it fits `width` at `size`. */
function fit(text: string, width: number, size: number, measure: MeasureText, bold = false) {
  let out = text;
  while (out.length > 1 && measure(out, size, bold) > width) out = out.slice(0, -2) + "…";
  return out;
}

/** The figure (always drawn: a panel without values says "not run"). */
export function gammaHistograms(options: GammaHistogramsOptions): Figure {
  const { panels, width, panelHeight, measure } = options;
  const perRow = Math.min(PER_ROW, Math.max(1, panels.length));
  const panelWidth = (width - GAP * (perRow - 1)) / perRow;
  const rowHeight = HEADER + panelHeight + GAP;
  const parts: Placed[] = [];
  panels.forEach((panel, i) => {
    const x = (i % perRow) * (panelWidth + GAP);
    const y = Math.floor(i / perRow) * rowHeight;
    const header = svgElement("g", { "aria-label": "panel title" });
    header.appendChild(svgElement("text", {
      x: MARGIN.left,
      y: FONT_SIZE + 1,
      "font-size": FONT_SIZE + 1,
      "font-weight": "bold",
      fill: "black",
    }, fit(panel.title, panelWidth - MARGIN.left, FONT_SIZE + 1, measure, true)));
    header.appendChild(svgElement("text", {
      x: MARGIN.left,
      y: 2 * FONT_SIZE + 5,
      fill: MUTED_COLOR,
    }, fit(panel.subtitle, panelWidth - MARGIN.left, FONT_SIZE, measure)));
    parts.push({ element: header, x, y });
    const body = panel.absGammas === undefined || panel.absGammas.length === 0
      ? emptyPanel(panelWidth, panelHeight, "not run")
      : histogramPanel(panel.absGammas, options, panel.color, panelWidth);
    parts.push({ element: body, x, y: y + HEADER });
  });
  const rows = Math.ceil(panels.length / perRow);
  return composeFigure(options.name, width, rows * rowHeight - GAP, parts);
}
