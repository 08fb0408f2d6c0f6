/**
 * Accuracy (%) over epochs: one solid test line and one dashed train line per series,
 * optional horizontal reference lines and starting points, and a legend above the plot.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { MeasureText } from "../fonts.ts";
import type { EpochRecord } from "../lab_types.ts";
import { legend, type LegendItem } from "./legend.ts";
import { basePlotOptions, integerTicks } from "./plot_style.ts";
import { composeFigure, type Figure, type SvgNode } from "./svg.ts";
import { REFERENCE_COLOR, TRAIN_DASH } from "./theme.ts";

/** One model's history, drawn in one colour. */
export interface AccuracySeries {
  readonly label: string;
  readonly color: string;
  readonly history: readonly EpochRecord[];
}

/** A horizontal line at a known accuracy (e.g. the unpruned model). */
export interface AccuracyReference {
  readonly label: string;
  readonly accuracy: number;
}

/** A single accuracy at an epoch, drawn as an open dot (e.g. before fine-tuning). */
export interface AccuracyPoint {
  readonly series: string;
  readonly epoch: number;
  readonly accuracy: number;
}

/** What to draw. */
export interface AccuracyCurvesOptions {
  readonly name: string;
  readonly series: readonly AccuracySeries[];
  readonly references?: readonly AccuracyReference[];
  readonly points?: readonly AccuracyPoint[];
  /** Legend label of the points. */
  readonly pointsLabel?: string;
  readonly width: number;
  readonly plotHeight: number;
  readonly measure: MeasureText;
}

interface Row {
  readonly series: string;
  readonly epoch: number;
  readonly accuracy: number;
}

function finite(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) ? value : NaN;
}

function rows(series: readonly AccuracySeries[], split: "trainAcc" | "testAcc"): Row[] {
  return series.flatMap((s) =>
    s.history.map((record) => ({
      series: s.label,
      epoch: record.epoch,
      accuracy: finite(record[split]),
    }))
  );
}

/** The figure, or `undefined` when no series has a single epoch. */
export function accuracyCurves(options: AccuracyCurvesOptions): Figure | undefined {
  const { series, width, plotHeight, measure } = options;
  const drawn = series.filter((s) => s.history.length > 0);
  if (drawn.length === 0) return undefined;
  const references = options.references ?? [];
  const points = (options.points ?? []).filter((p) => drawn.some((s) => s.label === p.series));
  const train = rows(drawn, "trainAcc");
  const test = rows(drawn, "testAcc");
  const epochs = [...test.map((r) => r.epoch), ...points.map((p) => p.epoch)];
  const lo = Math.min(...epochs);
  const hi = Math.max(lo + 1, ...epochs);
  const fewEpochs = Math.max(...drawn.map((s) => s.history.length)) <= 15;

  const items: LegendItem[] = [
    ...drawn.map((s) => ({ label: s.label, symbol: { kind: "swatch", color: s.color } as const })),
    { label: "test", symbol: { kind: "line", color: "black" } },
    { label: "train", symbol: { kind: "line", color: "black", dash: TRAIN_DASH } },
    ...references.map((r) => ({
      label: r.label,
      symbol: { kind: "line", color: REFERENCE_COLOR, dash: "2,2" } as const,
    })),
  ];
  if (points.length > 0) {
    items.push({ label: options.pointsLabel ?? "", symbol: { kind: "dot", color: "black" } });
  }
  const key = legend(items, width - 40, measure);

  const color = { domain: drawn.map((s) => s.label), range: drawn.map((s) => s.color) };
  const line = { x: "epoch", y: "accuracy", stroke: "series", z: "series" } as const;
  const plot = Plot.plot({
    ...basePlotOptions(width, plotHeight),
    marginLeft: 40,
    marginRight: 14,
    marginTop: 18,
    marginBottom: 32,
    x: {
      label: "epoch",
      labelAnchor: "right",
      domain: [lo, hi],
      ticks: integerTicks(lo, hi),
      tickFormat: "d",
    },
    y: { label: "accuracy (%)", domain: [0, 100], grid: true, ticks: 10 },
    color,
    marks: [
      Plot.ruleY(references, {
        y: "accuracy",
        stroke: REFERENCE_COLOR,
        strokeDasharray: "2,2",
        strokeWidth: 1.2,
      }),
      Plot.line(train, {
        ...line,
        strokeWidth: 1.4,
        strokeDasharray: TRAIN_DASH,
        ariaDescription: "train accuracy",
      }),
      Plot.line(test, { ...line, strokeWidth: 1.8, ariaDescription: "test accuracy" }),
      fewEpochs ? Plot.dot(test, { x: "epoch", y: "accuracy", fill: "series", r: 2 }) : null,
      Plot.dot(points, {
        x: "epoch",
        y: "accuracy",
        stroke: "series",
        fill: "white",
        r: 3,
        strokeWidth: 1.5,
        ariaDescription: "start point",
      }),
    ],
  }) as unknown as SvgNode;
  return composeFigure(options.name, width, key.height + 4 + plotHeight, [
    { element: key.element, x: 40, y: 0 },
    { element: plot, x: 0, y: key.height + 4 },
  ]);
}
