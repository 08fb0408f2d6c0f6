/**
 * Server-side SVG: one linkedom document for Plot and hand-made marks, composition of
 * several SVGs into one figure, and serialisation to a standalone SVG file.
 *
 * @module
 */
import { parseHTML } from "linkedom";
import { FONT_FAMILY, FONT_SIZE } from "./theme.ts";

const SVG_NS = "http://www.w3.org/2000/svg";

/** The DOM surface of an SVG element that figures use (linkedom implements it). */
export interface SvgNode {
  readonly tagName: string;
  readonly outerHTML: string;
  textContent: string | null;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  appendChild<T>(child: T): T;
}

/** The DOM surface of the document figures are built in. */
export interface SvgDocument {
  createElementNS(namespace: string, tag: string): SvgNode;
}

let shared: SvgDocument | undefined;

/** The linkedom document figures are built in (pass it to Plot as `document`). */
export function svgDocument(): SvgDocument {
  shared ??= (parseHTML("<!doctype html><html><body></body></html>") as unknown as {
    document: SvgDocument;
  }).document;
  return shared;
}

/** A new SVG element with the given attributes. */
export function svgElement(
  tag: string,
  attributes: Record<string, string | number> = {},
  text?: string,
): SvgNode {
  const element = svgDocument().createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, `${value}`);
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A figure ready to embed and to save: standalone SVG text and its size in points. */
export interface Figure {
  /** File stem under `figures/`, e.g. `sparsity_accuracy`. */
  readonly name: string;
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

/** A part of a composed figure: an `<svg>` (e.g. from Plot) or `<g>` placed at (x, y). */
export interface Placed {
  readonly element: SvgNode;
  readonly x: number;
  readonly y: number;
}

/**
 * One standalone SVG of `width` x `height` holding `parts`: nested `<svg>` elements get
 * `x`/`y` attributes, anything else is wrapped in a translated `<g>`.
 */
export function composeFigure(
  name: string,
  width: number,
  height: number,
  parts: readonly Placed[],
): Figure {
  const root = svgElement("svg", {
    xmlns: SVG_NS,
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    "font-family": FONT_FAMILY,
    "font-size": FONT_SIZE,
  });
  root.appendChild(svgElement("rect", { width, height, fill: "white" }));
  for (const { element, x, y } of parts) {
    if (element.tagName.toLowerCase() === "svg") {
      element.setAttribute("x", `${x}`);
      element.setAttribute("y", `${y}`);
      root.appendChild(element);
    } else {
      const group = svgElement("g", { transform: `translate(${x},${y})` });
      group.appendChild(element);
      root.appendChild(group);
    }
  }
  return { name, svg: root.outerHTML, width, height };
}
