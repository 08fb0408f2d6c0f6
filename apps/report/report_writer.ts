/**
 * What a report section writes to: a flow of title, headings, paragraphs, bullet lists,
 * tables and figures. The PDF ({@linkcode ReportDocument}) and the HTML page
 * ({@linkcode HtmlReport}) both implement it, so both say the same from the same sections.
 *
 * @module
 */
import type { Figure } from "./figures/svg.ts";
import type { SweepSummary } from "./lab_types.ts";

/** One column of a {@linkcode ReportWriter.table}. */
export interface TableColumn {
  readonly header: string;
  /** Share of the available width (columns' shares are normalised to sum to 1). */
  readonly share: number;
  readonly align?: "left" | "right" | "center";
}

/** Options of {@linkcode ReportWriter.table}. */
export interface TableOptions {
  /** Rows drawn in bold (e.g. a total). */
  readonly boldRows?: readonly number[];
  /** Table width in points (default: the text column). */
  readonly width?: number;
}

/** Options of {@linkcode ReportWriter.paragraph}. */
export interface ParagraphOptions {
  readonly muted?: boolean;
  readonly small?: boolean;
}

/** One λ's sweep as the explorer shows it. */
export interface ExplorerSweep {
  /** The curve's label and colour, as in the figures. */
  readonly label: string;
  readonly color: string;
  readonly summary: SweepSummary;
}

/** A report being written. */
export interface ReportWriter {
  /** What is being written: a paper-like PDF, or the page (which can be interactive). */
  readonly medium: "pdf" | "html";
  /** The report title. */
  title(text: string, subtitle?: string): void;
  /** A section heading, kept (on paper) with at least `keepWith` points of what follows. */
  heading(text: string, keepWith?: number): void;
  /** A sub-heading inside a section. */
  subheading(text: string, keepWith?: number): void;
  /** A paragraph of body text. */
  paragraph(text: string, options?: ParagraphOptions): void;
  /** A bullet list. */
  bullets(items: readonly string[]): void;
  /** A table of text cells. */
  table(
    columns: readonly TableColumn[],
    rows: readonly (readonly string[])[],
    options?: TableOptions,
  ): void;
  /** A vector figure with an optional caption. */
  figure(figure: Figure, caption?: string): void;
  /**
   * A ratio slider over the sweeps: at the chosen ratio, each λ's kept channels per layer,
   * params, FLOPs and accuracy (the page only; paper has the figure and table).
   */
  sweepExplorer(sweeps: readonly ExplorerSweep[]): void;
}
