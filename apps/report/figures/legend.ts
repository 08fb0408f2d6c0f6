/**
 * Legends drawn as plain SVG (Plot's own legends are HTML, which svg-to-pdfkit cannot
 * draw). Items flow left to right and wrap to a new row when the width is used up.
 *
 * @module
 */
import type { MeasureText } from "../fonts.ts";
import { svgElement, type SvgNode } from "./svg.ts";
import { FONT_SIZE } from "./theme.ts";

/** The symbol drawn before a legend label. */
export type LegendSymbol =
  | { readonly kind: "line"; readonly color: string; readonly dash?: string }
  | { readonly kind: "swatch"; readonly color: string }
  | { readonly kind: "triangle"; readonly color: string }
  | { readonly kind: "diamond"; readonly color: string }
  | { readonly kind: "square"; readonly color: string }
  | { readonly kind: "dot"; readonly color: string };

/** One legend entry. */
export interface LegendItem {
  readonly label: string;
  readonly symbol: LegendSymbol;
}

/** A laid-out legend: a `<g>` at the origin and the height it takes. */
export interface Legend {
  readonly element: SvgNode;
  readonly height: number;
}

const SYMBOL_WIDTH = 18;
const SYMBOL_GAP = 4;
const ITEM_GAP = 14;
const ROW_HEIGHT = FONT_SIZE + 6;

function drawSymbol(symbol: LegendSymbol, x: number, midY: number): SvgNode {
  switch (symbol.kind) {
    case "line":
      return svgElement("path", {
        d: `M${x},${midY}h${SYMBOL_WIDTH}`,
        stroke: symbol.color,
        "stroke-width": 1.8,
        fill: "none",
        ...(symbol.dash ? { "stroke-dasharray": symbol.dash } : {}),
      });
    case "swatch":
      return svgElement("rect", {
        x: x + 3,
        y: midY - 5,
        width: SYMBOL_WIDTH - 6,
        height: 10,
        fill: symbol.color,
      });
    case "triangle": {
      const cx = x + SYMBOL_WIDTH / 2;
      return svgElement("path", {
        d: `M${cx},${midY + 4}L${cx - 4.5},${midY - 4}L${cx + 4.5},${midY - 4}Z`,
        fill: symbol.color,
        stroke: "black",
        "stroke-width": 0.5,
      });
    }
    case "diamond": {
      const cx = x + SYMBOL_WIDTH / 2;
      return svgElement("path", {
        d: `M${cx},${midY - 4.5}L${cx + 4.5},${midY}L${cx},${midY + 4.5}L${cx - 4.5},${midY}Z`,
        fill: symbol.color,
        stroke: "black",
        "stroke-width": 0.8,
      });
    }
    case "square":
      return svgElement("rect", {
        x: x + SYMBOL_WIDTH / 2 - 3.5,
        y: midY - 3.5,
        width: 7,
        height: 7,
        fill: symbol.color,
      });
    case "dot":
      return svgElement("circle", {
        cx: x + SYMBOL_WIDTH / 2,
        cy: midY,
        r: 3,
        fill: "white",
        stroke: symbol.color,
        "stroke-width": 1.5,
      });
  }
}

/** Lays out `items` within `width` (text widths from `measure`). */
export function legend(items: readonly LegendItem[], width: number, measure: MeasureText): Legend {
  const group = svgElement("g", { "aria-label": "legend" });
  let x = 0;
  let row = 0;
  for (const item of items) {
    const itemWidth = SYMBOL_WIDTH + SYMBOL_GAP + measure(item.label, FONT_SIZE);
    if (x > 0 && x + itemWidth > width) {
      x = 0;
      row++;
    }
    const midY = row * ROW_HEIGHT + ROW_HEIGHT / 2;
    group.appendChild(drawSymbol(item.symbol, x, midY));
    group.appendChild(svgElement("text", {
      x: x + SYMBOL_WIDTH + SYMBOL_GAP,
      y: midY,
      dy: "0.32em",
      "font-size": FONT_SIZE,
      fill: "black",
    }, item.label));
    x += itemWidth + ITEM_GAP;
  }
  return { element: group, height: items.length === 0 ? 0 : (row + 1) * ROW_HEIGHT };
}
