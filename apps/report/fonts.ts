/**
 * The report's typeface: DejaVu Sans (regular and bold, shipped in `fonts/` with its
 * licence), embedded in the PDF so that λ, γ and |γ| print. SVG text names the same
 * family, and {@linkcode svgFontCallback} maps it to the embedded faces.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPdfDocument, type PdfDocument } from "./pdf/pdfkit.ts";

/** The CSS font family figures use. */
export const FONT_FAMILY = "DejaVu Sans, sans-serif";

/** pdfkit names of the embedded faces. */
export const FONT_REGULAR = "DejaVuSans";
/** pdfkit name of the bold face. */
export const FONT_BOLD = "DejaVuSans-Bold";

/** Font file contents, by pdfkit name. */
export type FontFiles = Readonly<Record<typeof FONT_REGULAR | typeof FONT_BOLD, Buffer>>;

let cached: Promise<FontFiles> | undefined;

async function readFont(file: string): Promise<Buffer> {
  return Buffer.from(await Deno.readFile(new URL(`./fonts/${file}`, import.meta.url)));
}

/** Reads the shipped font files (once per process). */
export function loadFonts(): Promise<FontFiles> {
  cached ??= Promise.all([readFont("DejaVuSans.ttf"), readFont("DejaVuSans-Bold.ttf")]).then((
    [regular, bold],
  ) => ({ [FONT_REGULAR]: regular, [FONT_BOLD]: bold }));
  return cached;
}

/** Registers the embedded faces in a pdfkit document. */
export function registerFonts(doc: PdfDocument, fonts: FontFiles): void {
  doc.registerFont(FONT_REGULAR, fonts[FONT_REGULAR]);
  doc.registerFont(FONT_BOLD, fonts[FONT_BOLD]);
}

/** svg-to-pdfkit's `fontCallback`: every SVG text uses the embedded faces. */
export function svgFontCallback(_family: string, bold: boolean): string {
  return bold ? FONT_BOLD : FONT_REGULAR;
}

/** Width in points (= SVG px at the report's scale) of `text` at `size`. */
export type MeasureText = (text: string, size: number, bold?: boolean) => number;

/** Exact text widths from the embedded font metrics (for laying out legends and titles). */
export function createTextMeasure(fonts: FontFiles): MeasureText {
  const scratch = createPdfDocument({ autoFirstPage: false });
  registerFonts(scratch, fonts);
  return (text, size, bold = false) =>
    scratch.font(bold ? FONT_BOLD : FONT_REGULAR).fontSize(size).widthOfString(text);
}
