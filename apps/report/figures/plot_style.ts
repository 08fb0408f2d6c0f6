/**
 * The Plot options every figure shares: the linkedom document, a fixed class name (so
 * the output is the same on every run), the report's font, white background.
 *
 * @module
 */
import { svgDocument } from "./svg.ts";
import { FONT_FAMILY, FONT_SIZE } from "./theme.ts";

/** Options to spread into every `Plot.plot` call of the report. */
export function basePlotOptions(width: number, height: number) {
  return {
    document: svgDocument() as never,
    className: "slimming-plot",
    width,
    height,
    style: {
      fontFamily: FONT_FAMILY,
      fontSize: `${FONT_SIZE}px`,
      background: "white",
      color: "black",
      overflow: "visible",
    },
  };
}

/** Up to about `count` integer tick values covering [lo, hi], on a 1/2/5 x 10^k step. */
export function integerTicks(lo: number, hi: number, count = 8): number[] {
  const span = Math.max(1, hi - lo);
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  return ticks;
}
