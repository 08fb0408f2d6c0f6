/**
 * An A4 report as a flow of blocks — title, headings, paragraphs, bullet lists, tables and
 * vector figures — laid out top to bottom with page breaks where a block would not fit.
 * All text is real PDF text in the embedded DejaVu Sans, so it can be searched and copied.
 *
 * @module
 */
import {
  FONT_BOLD,
  FONT_REGULAR,
  type FontFiles,
  registerFonts,
  svgFontCallback,
} from "../fonts.ts";
import type { Figure } from "../figures/svg.ts";
import type {
  ParagraphOptions,
  ReportWriter,
  TableColumn,
  TableOptions,
} from "../report_writer.ts";
import { createPdfDocument, drawSvg, pdfBytes, type PdfDocument } from "./pdfkit.ts";

const MARGIN = { top: 56, bottom: 56, left: 50, right: 50 };
const BODY_SIZE = 9.5;
const TABLE_SIZE = 8.5;
const SMALL_SIZE = 8;
const TEXT_COLOR = "#111111";
const MUTED = "#555555";
const RULE = "#d0d0d0";
const HEADER_FILL = "#eef0f3";
const CELL_PAD_X = 4;
const CELL_PAD_Y = 3;

/** Document metadata. */
export interface ReportInfo {
  readonly title: string;
  readonly subject: string;
  /** Creation date written into the PDF (fixed, so equal inputs give equal bytes). */
  readonly date: Date;
  /** Footer text on every page, before "page i of n". */
  readonly footer: string;
}

/** A report being written; {@linkcode ReportDocument.finish} returns the PDF bytes. */
export class ReportDocument implements ReportWriter {
  readonly medium = "pdf" as const;
  readonly #doc: PdfDocument;
  readonly #footer: string;
  /** What svg-to-pdfkit could not draw (unsupported SVG), one line per problem. */
  readonly figureWarnings: string[] = [];

  constructor(fonts: FontFiles, info: ReportInfo) {
    this.#doc = createPdfDocument({
      size: "A4",
      margins: MARGIN,
      bufferPages: true,
      info: {
        Title: info.title,
        Subject: info.subject,
        Creator: "apps/report",
        Producer: "PDFKit",
        CreationDate: info.date,
      },
    });
    this.#footer = info.footer;
    registerFonts(this.#doc, fonts);
    this.#doc.font(FONT_REGULAR).fontSize(BODY_SIZE).fillColor(TEXT_COLOR);
  }

  /** Width of the text column in points. */
  get contentWidth(): number {
    const page = this.#doc.page;
    return page.width - page.margins.left - page.margins.right;
  }

  get #left(): number {
    return this.#doc.page.margins.left;
  }

  get #bottom(): number {
    return this.#doc.page.height - this.#doc.page.margins.bottom;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): void {
    if (this.#doc.y + height > this.#bottom) this.#doc.addPage();
  }

  /** Vertical space in points. */
  space(points: number): void {
    this.#doc.y = Math.min(this.#doc.y + points, this.#bottom);
  }

  #text(text: string, size: number, bold: boolean, color: string, gap = 0): void {
    this.#doc.font(bold ? FONT_BOLD : FONT_REGULAR).fontSize(size).fillColor(color);
    this.#doc.text(text, this.#left, this.#doc.y, {
      width: this.contentWidth,
      lineGap: 1.5,
      paragraphGap: gap,
    });
    this.#doc.x = this.#left;
  }

  #height(text: string, size: number, bold: boolean, width = this.contentWidth): number {
    this.#doc.font(bold ? FONT_BOLD : FONT_REGULAR).fontSize(size);
    return this.#doc.heightOfString(text, { width, lineGap: 1.5 });
  }

  /** The report title. */
  title(text: string, subtitle?: string): void {
    this.#text(text, 20, true, TEXT_COLOR, 4);
    if (subtitle) this.#text(subtitle, BODY_SIZE, false, MUTED, 6);
    this.space(4);
  }

  /** A section heading, kept on a page with at least `keepWith` points of what follows. */
  heading(text: string, keepWith = 120): void {
    this.space(10);
    this.ensureSpace(this.#height(text, 13.5, true) + keepWith);
    this.#text(text, 13.5, true, TEXT_COLOR, 5);
  }

  /** A sub-heading inside a section. */
  subheading(text: string, keepWith = 60): void {
    this.space(4);
    this.ensureSpace(this.#height(text, 10.5, true) + keepWith);
    this.#text(text, 10.5, true, TEXT_COLOR, 3);
  }

  /** A paragraph of body text. */
  paragraph(text: string, options: ParagraphOptions = {}): void {
    const size = options.small ? SMALL_SIZE : BODY_SIZE;
    this.ensureSpace(Math.min(this.#height(text, size, false), 3 * size * 1.4));
    this.#text(text, size, false, options.muted ? MUTED : TEXT_COLOR, 6);
  }

  /** A bullet list; each item may wrap and is indented under its bullet. */
  bullets(items: readonly string[]): void {
    const indent = 12;
    const width = this.contentWidth - indent;
    for (const item of items) {
      const height = this.#height(item, BODY_SIZE, false, width);
      this.ensureSpace(Math.min(height, 4 * BODY_SIZE * 1.4));
      const y = this.#doc.y;
      this.#doc.font(FONT_REGULAR).fontSize(BODY_SIZE).fillColor(TEXT_COLOR);
      this.#doc.text("•", this.#left + 2, y, { width: indent, lineBreak: false });
      this.#doc.text(item, this.#left + indent, y, { width, lineGap: 1.5, paragraphGap: 3 });
      this.#doc.x = this.#left;
    }
    this.space(3);
  }

  /** A table of text cells; the header row repeats after a page break. */
  table(
    columns: readonly TableColumn[],
    rows: readonly (readonly string[])[],
    options: TableOptions = {},
  ): void {
    const doc = this.#doc;
    const tableWidth = options.width ?? this.contentWidth;
    const totalShare = columns.reduce((n, c) => n + c.share, 0);
    const widths = columns.map((c) => (c.share / totalShare) * tableWidth);
    const bold = new Set(options.boldRows ?? []);
    const rowHeight = (cells: readonly string[], isBold: boolean) =>
      Math.max(
        ...cells.map((cell, i) => {
          doc.font(isBold ? FONT_BOLD : FONT_REGULAR).fontSize(TABLE_SIZE);
          return doc.heightOfString(cell, { width: widths[i] - 2 * CELL_PAD_X });
        }),
      ) + 2 * CELL_PAD_Y;
    const drawRow = (cells: readonly string[], isHeader: boolean, isBold: boolean) => {
      const height = rowHeight(cells, isHeader || isBold);
      const top = doc.y;
      if (isHeader) doc.rect(this.#left, top, tableWidth, height).fill(HEADER_FILL);
      let x = this.#left;
      cells.forEach((cell, i) => {
        doc.font(isHeader || isBold ? FONT_BOLD : FONT_REGULAR).fontSize(TABLE_SIZE).fillColor(
          TEXT_COLOR,
        );
        doc.text(cell, x + CELL_PAD_X, top + CELL_PAD_Y, {
          width: widths[i] - 2 * CELL_PAD_X,
          align: columns[i].align ?? "left",
        });
        x += widths[i];
      });
      doc.lineWidth(isHeader ? 0.8 : 0.4)
        .moveTo(this.#left, top + height)
        .lineTo(this.#left + tableWidth, top + height)
        .stroke(isHeader ? "#888888" : RULE);
      doc.x = this.#left;
      doc.y = top + height;
    };
    const header = columns.map((c) => c.header);
    const headerHeight = rowHeight(header, true);
    this.ensureSpace(headerHeight + (rows.length > 0 ? rowHeight(rows[0], bold.has(0)) : 0));
    drawRow(header, true, true);
    rows.forEach((row, r) => {
      const height = rowHeight(row, bold.has(r));
      if (doc.y + height > this.#bottom) {
        doc.addPage();
        drawRow(header, true, true);
      }
      drawRow(row, false, bold.has(r));
    });
    this.space(8);
  }

  /** A vector figure across the text column, with an optional caption below it. */
  figure(figure: Figure, caption?: string): void {
    const scale = Math.min(1, this.contentWidth / figure.width);
    const height = figure.height * scale;
    const captionHeight = caption ? this.#height(caption, SMALL_SIZE, false) + 4 : 0;
    this.ensureSpace(height + captionHeight + 4);
    const top = this.#doc.y;
    drawSvg(this.#doc, figure.svg, this.#left, top, {
      width: figure.width * scale,
      height,
      assumePt: true,
      fontCallback: svgFontCallback,
      warningCallback: (message) => this.figureWarnings.push(`${figure.name}: ${message}`),
    });
    this.#doc.x = this.#left;
    this.#doc.y = top + height + 4;
    if (caption) this.#text(caption, SMALL_SIZE, false, MUTED, 6);
    this.space(4);
  }

  /** The sweep explorer is interactive: the PDF has its figure and table instead. */
  sweepExplorer(): void {}

  /** Adds page footers and returns the finished PDF. */
  async finish(): Promise<Uint8Array> {
    const doc = this.#doc;
    const { start, count } = doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      doc.switchToPage(i);
      const bottomMargin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc.font(FONT_REGULAR).fontSize(SMALL_SIZE).fillColor(MUTED);
      doc.text(
        `${this.#footer} — page ${i - start + 1} of ${count}`,
        this.#left,
        doc.page.height - bottomMargin + 18,
        { width: this.contentWidth, align: "center", lineBreak: false },
      );
      doc.page.margins.bottom = bottomMargin;
    }
    return await pdfBytes(doc);
  }
}
