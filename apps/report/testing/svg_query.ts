/**
 * Test helpers that parse a figure's SVG (with linkedom) and find Plot marks by the
 * `aria-description` the report gives them.
 *
 * @module
 */
import { DOMParser } from "linkedom";

/** The DOM surface tests read. */
export interface SvgQueryNode {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly children: ArrayLike<SvgQueryNode>;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<SvgQueryNode>;
}

/** The root `<svg>` of an SVG document. */
export function parseSvg(text: string): SvgQueryNode {
  const document = new DOMParser().parseFromString(text, "image/svg+xml") as unknown as {
    documentElement: SvgQueryNode;
  };
  return document.documentElement;
}

/** Every mark group `<g aria-description="…">` with that description. */
export function markGroups(root: SvgQueryNode, description: string): SvgQueryNode[] {
  return Array.from(root.querySelectorAll(`g[aria-description="${description}"]`));
}

/** The elements drawn by the mark groups with that description, in order. */
export function markElements(root: SvgQueryNode, description: string): SvgQueryNode[] {
  return markGroups(root, description).flatMap((g) => Array.from(g.children));
}
