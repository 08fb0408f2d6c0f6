/**
 * Typed access to the parts of pdfkit and svg-to-pdfkit the report uses (neither package
 * ships TypeScript types).
 *
 * @module
 */
import PDFDocument from "pdfkit";
import SVGtoPDF from "svg-to-pdfkit";

/** Options of pdfkit's `text`, `heightOfString` and `widthOfString` that the report uses. */
export interface PdfTextOptions {
  width?: number;
  align?: "left" | "center" | "right" | "justify";
  lineGap?: number;
  paragraphGap?: number;
  indent?: number;
  continued?: boolean;
  lineBreak?: boolean;
}

/** The subset of a pdfkit document the report uses. */
export interface PdfDocument {
  readonly page: {
    readonly width: number;
    readonly height: number;
    readonly margins: { top: number; bottom: number; left: number; right: number };
  };
  x: number;
  y: number;
  registerFont(name: string, src: Uint8Array): PdfDocument;
  font(name: string): PdfDocument;
  fontSize(size: number): PdfDocument;
  fillColor(color: string): PdfDocument;
  strokeColor(color: string): PdfDocument;
  lineWidth(width: number): PdfDocument;
  text(text: string, x?: number, y?: number, options?: PdfTextOptions): PdfDocument;
  text(text: string, options?: PdfTextOptions): PdfDocument;
  heightOfString(text: string, options?: PdfTextOptions): number;
  widthOfString(text: string, options?: PdfTextOptions): number;
  moveDown(lines?: number): PdfDocument;
  rect(x: number, y: number, w: number, h: number): PdfDocument;
  moveTo(x: number, y: number): PdfDocument;
  lineTo(x: number, y: number): PdfDocument;
  fill(color?: string): PdfDocument;
  stroke(color?: string): PdfDocument;
  addPage(): PdfDocument;
  bufferedPageRange(): { start: number; count: number };
  switchToPage(index: number): PdfDocument;
  on(event: "data", listener: (chunk: Uint8Array) => void): PdfDocument;
  on(event: "end" | "error", listener: (error?: unknown) => void): PdfDocument;
  end(): void;
}

/** Options for a new pdfkit document. */
export interface PdfDocumentOptions {
  size?: string | [number, number];
  margins?: { top: number; bottom: number; left: number; right: number };
  bufferPages?: boolean;
  autoFirstPage?: boolean;
  info?: Record<string, string | Date>;
  lang?: string;
}

/** A new pdfkit document. */
export function createPdfDocument(options: PdfDocumentOptions = {}): PdfDocument {
  return new PDFDocument(options) as PdfDocument;
}

/** Options of svg-to-pdfkit. */
export interface SvgToPdfOptions {
  width?: number;
  height?: number;
  /** Treat SVG px as PDF points (no 72/96 scaling). */
  assumePt?: boolean;
  fontCallback?: (family: string, bold: boolean, italic: boolean) => string;
  warningCallback?: (message: string) => void;
}

/** Draws an SVG document (as text) into `doc` at (x, y) as vector graphics. */
export function drawSvg(
  doc: PdfDocument,
  svg: string,
  x: number,
  y: number,
  options: SvgToPdfOptions,
): void {
  SVGtoPDF(doc, svg, x, y, options);
}

/** Ends `doc` and collects its bytes. */
export function pdfBytes(doc: PdfDocument): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    doc.on("data", (chunk) => chunks.push(chunk));
    doc.on("error", reject);
    doc.on("end", () => {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      resolve(out);
    });
    doc.end();
  });
}
