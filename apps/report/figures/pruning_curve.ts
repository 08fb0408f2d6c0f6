/**
 * The paper's curve: test accuracy against the share of channels pruned (top panel) and
 * against the FLOPs kept (bottom panel), one colour per λ, recalibrated solid and slim
 * dashed, with the fine-tuned models and the published points marked. Every point carries a
 * `<title>`, which a browser shows on hover.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { MeasureText } from "../fonts.ts";
import { legend, type LegendItem } from "./legend.ts";
import { basePlotOptions } from "./plot_style.ts";
import { composeFigure, type Figure, type SvgNode } from "./svg.ts";
import { TRAIN_DASH } from "./theme.ts";

/** One point of a curve: ratio pruned, FLOPs kept (share of the unpruned model), accuracies. */
export interface CurvePoint {
  readonly ratio: number;
  readonly flopsKept: number;
  readonly slim: number;
  readonly recalibrated?: number;
}

/** One λ's curve, starting at its unpruned model (ratio 0, all FLOPs). */
export interface CurveSeries {
  readonly label: string;
  readonly color: string;
  readonly unpruned: number;
  readonly points: readonly CurvePoint[];
}

/** A single result marked on both panels (where it has the coordinate). */
export interface CurveMark {
  readonly label: string;
  readonly kind: "finetuned" | "published";
  readonly color: string;
  readonly accuracy: number;
  readonly ratio?: number;
  readonly flopsKept?: number;
}

/** What to draw. */
export interface PruningCurveOptions {
  readonly name: string;
  readonly series: readonly CurveSeries[];
  readonly marks?: readonly CurveMark[];
  readonly width: number;
  readonly panelHeight: number;
  readonly measure: MeasureText;
}

interface Row {
  readonly series: string;
  readonly kind: "recalibrated" | "slim";
  readonly ratio: number;
  readonly flops: number;
  readonly accuracy: number;
  readonly tip: string;
}

const pct = (share: number) => Math.round(share * 1000) / 10;

function rowsOf(series: CurveSeries, kind: Row["kind"]): Row[] {
  if (kind === "recalibrated" && series.points.every((p) => p.recalibrated === undefined)) {
    return [];
  }
  const start: Row = {
    series: series.label,
    kind,
    ratio: 0,
    flops: 100,
    accuracy: series.unpruned,
    tip: `${series.label}, unpruned: ${series.unpruned.toFixed(2)}%`,
  };
  const points = series.points.flatMap((p) => {
    const accuracy = kind === "slim" ? p.slim : p.recalibrated;
    if (accuracy === undefined) return [];
    return [{
      series: series.label,
      kind,
      ratio: pct(p.ratio),
      flops: pct(p.flopsKept),
      accuracy,
      tip:
        `${series.label}, ${pct(p.ratio)}% pruned (${pct(p.flopsKept)}% of the FLOPs): ${kind} ` +
        `${accuracy.toFixed(2)}%`,
    }];
  });
  return [start, ...points];
}

function panel(
  x: "ratio" | "flops",
  options: PruningCurveOptions,
  rows: { recalibrated: Row[]; slim: Row[] },
  marks: readonly CurveMark[],
): SvgNode {
  const { width, panelHeight, series } = options;
  const color = { domain: series.map((s) => s.label), range: series.map((s) => s.color) };
  const line = { x, y: "accuracy", stroke: "series", z: "series" } as const;
  const placed = marks.flatMap((m) => {
    const value = x === "ratio" ? m.ratio : m.flopsKept;
    return value === undefined ? [] : [{
      ...m,
      x: pct(value),
      tip: `${m.label}: ${m.accuracy.toFixed(2)}%`,
    }];
  });
  const finetuned = placed.filter((m) => m.kind === "finetuned");
  // Published points often share a ratio: their labels go left and right of them in turn.
  const published = placed.filter((m) => m.kind === "published").map((m, i) => ({
    ...m,
    anchor: i % 2 === 0 ? "end" : "start",
    dx: i % 2 === 0 ? -6 : 6,
  }));
  return Plot.plot({
    ...basePlotOptions(width, panelHeight),
    marginLeft: 40,
    marginRight: 14,
    marginTop: 14,
    marginBottom: 32,
    x: {
      label: x === "ratio" ? "channels pruned (%)" : "FLOPs kept (% of the unpruned model)",
      labelAnchor: "right",
      domain: [0, 100],
      ticks: 10,
      reverse: x === "flops",
    },
    y: { label: "test accuracy (%)", domain: [0, 100], grid: true, ticks: 10 },
    color,
    marks: [
      Plot.line(rows.slim, { ...line, strokeWidth: 1.3, strokeDasharray: TRAIN_DASH }),
      Plot.line(rows.recalibrated, { ...line, strokeWidth: 1.8 }),
      Plot.dot(rows.recalibrated, { x, y: "accuracy", fill: "series", r: 2.2, title: "tip" }),
      Plot.dot(rows.slim, {
        x,
        y: "accuracy",
        stroke: "series",
        fill: "white",
        r: 1.8,
        title: "tip",
      }),
      Plot.dot(finetuned, {
        x: "x",
        y: "accuracy",
        symbol: "diamond",
        fill: (m: CurveMark) => m.color,
        stroke: "black",
        strokeWidth: 0.8,
        r: 4.5,
        title: "tip",
      }),
      Plot.dot(published, {
        x: "x",
        y: "accuracy",
        symbol: "square",
        fill: "black",
        r: 3.5,
        title: "tip",
      }),
      ...published.map((m) =>
        Plot.text([m], {
          x: "x",
          y: "accuracy",
          text: "label",
          dx: m.dx,
          dy: -6,
          fontSize: 7.5,
          textAnchor: m.anchor as "start" | "end",
        })
      ),
    ],
  }) as unknown as SvgNode;
}

/** The figure, or `undefined` when no curve has a point. */
export function pruningCurve(options: PruningCurveOptions): Figure | undefined {
  const drawn = options.series.filter((s) => s.points.length > 0);
  if (drawn.length === 0) return undefined;
  const marks = options.marks ?? [];
  const rows = {
    recalibrated: drawn.flatMap((s) => rowsOf(s, "recalibrated")),
    slim: drawn.flatMap((s) => rowsOf(s, "slim")),
  };
  const items: LegendItem[] = [
    ...drawn.map((s) => ({ label: s.label, symbol: { kind: "swatch", color: s.color } as const })),
    ...(rows.recalibrated.length > 0
      ? [{ label: "BN recalibrated", symbol: { kind: "line", color: "black" } as const }]
      : []),
    {
      label: "slim (the reference's model)",
      symbol: { kind: "line", color: "black", dash: TRAIN_DASH },
    },
  ];
  if (marks.some((m) => m.kind === "finetuned")) {
    items.push({ label: "after fine-tuning", symbol: { kind: "diamond", color: "black" } });
  }
  if (marks.some((m) => m.kind === "published")) {
    items.push({ label: "published", symbol: { kind: "square", color: "black" } });
  }
  const key = legend(items, options.width - 40, options.measure);
  const { panelHeight } = options;
  const gap = 8;
  return composeFigure(options.name, options.width, key.height + 4 + 2 * panelHeight + gap, [
    { element: key.element, x: 40, y: 0 },
    { element: panel("ratio", options, rows, marks), x: 0, y: key.height + 4 },
    {
      element: panel("flops", { ...options, series: drawn }, rows, marks),
      x: 0,
      y: key.height + 4 + panelHeight + gap,
    },
  ]);
}
