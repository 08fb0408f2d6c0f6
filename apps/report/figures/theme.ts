/**
 * Sizes and colours shared by all figures. Figures are drawn in PDF points (1 SVG px =
 * 1 pt), so a figure as wide as {@linkcode FIGURE_WIDTH} fills the A4 text column.
 *
 * @module
 */
export { FONT_FAMILY } from "../fonts.ts";

/** Width of the report's text column in points (A4 minus two 50 pt margins, rounded). */
export const FIGURE_WIDTH = 495;

/** Font size of tick labels, axis labels and legends, in points. */
export const FONT_SIZE = 8.5;

/** Colours of the sparsity-trained models, one per λ in order. */
export const LAMBDA_COLORS = ["#1f77b4", "#ff7f0e", "#d62728", "#8c564b", "#e377c2"] as const;

/** Colours of the pruned models, one per ratio in order (distinct from the λ colours). */
export const RATIO_COLORS = ["#2ca02c", "#9467bd", "#17becf", "#bcbd22"] as const;

/** Colour of the i-th λ. */
export function lambdaColor(index: number): string {
  return LAMBDA_COLORS[index % LAMBDA_COLORS.length];
}

/** Colour of the i-th prune ratio. */
export function ratioColor(index: number): string {
  return RATIO_COLORS[index % RATIO_COLORS.length];
}

/** Colour of "before" / reference marks. */
export const REFERENCE_COLOR = "#9a9a9a";

/** Colour of secondary text ("not run", notes). */
export const MUTED_COLOR = "#666666";

/** Dash pattern of training-split lines (test lines are solid). */
export const TRAIN_DASH = "5,3";
