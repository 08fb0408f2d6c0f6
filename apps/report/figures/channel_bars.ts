/**
 * Channels per BN layer before and after each prune, as grouped bars, with a marker over
 * every layer where the min-channels guard fired.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { MeasureText } from "../fonts.ts";
import { legend, type LegendItem } from "./legend.ts";
import { basePlotOptions } from "./plot_style.ts";
import { composeFigure, type Figure, type SvgNode } from "./svg.ts";
import { REFERENCE_COLOR } from "./theme.ts";

/** The outcome of one prune. */
export interface ChannelSeries {
  readonly label: string;
  readonly color: string;
  /** Channels kept per layer. */
  readonly kept: readonly number[];
  /** 0-based indices of the layers where the guard fired. */
  readonly guarded: readonly number[];
}

/** What to draw. */
export interface ChannelBarsOptions {
  readonly name: string;
  readonly layerNames: readonly string[];
  readonly before: readonly number[];
  readonly beforeLabel: string;
  readonly series: readonly ChannelSeries[];
  readonly width: number;
  readonly plotHeight: number;
  readonly measure: MeasureText;
}

interface Bar {
  readonly group: string;
  readonly x1: number;
  readonly x2: number;
  readonly channels: number;
}

const GROUP_WIDTH = 0.84;

/** The figure, or `undefined` without layers. */
export function channelBars(options: ChannelBarsOptions): Figure | undefined {
  const { layerNames, before, series, width, plotHeight, measure } = options;
  if (before.length === 0) return undefined;
  const groups = [{ label: options.beforeLabel, color: REFERENCE_COLOR, kept: before }, ...series];
  const barWidth = GROUP_WIDTH / groups.length;
  const bars: Bar[] = [];
  const guards: Array<{ x: number; channels: number }> = [];
  groups.forEach((group, g) => {
    group.kept.forEach((channels, layer) => {
      const x1 = layer + 1 - GROUP_WIDTH / 2 + g * barWidth;
      bars.push({ group: group.label, x1, x2: x1 + barWidth, channels });
    });
  });
  series.forEach((s, k) => {
    for (const layer of s.guarded) {
      const x1 = layer + 1 - GROUP_WIDTH / 2 + (k + 1) * barWidth;
      guards.push({ x: x1 + barWidth / 2, channels: s.kept[layer] ?? 0 });
    }
  });

  const items: LegendItem[] = groups.map((group) => ({
    label: group.label,
    symbol: { kind: "swatch", color: group.color },
  }));
  if (series.some((s) => s.guarded.length > 0)) {
    items.push({ label: "min-channels guard fired", symbol: { kind: "triangle", color: "white" } });
  }
  const key = legend(items, width - 40, measure);
  const rotate = layerNames.length > 8;
  const plot = Plot.plot({
    ...basePlotOptions(width, plotHeight),
    marginLeft: 40,
    marginRight: 10,
    marginTop: 18,
    marginBottom: rotate ? 58 : 32,
    x: {
      label: "BN layer",
      labelAnchor: "right",
      labelOffset: rotate ? 54 : 30,
      domain: [0.4, before.length + 0.6],
      ticks: before.map((_, i) => i + 1),
      tickFormat: (t: number) => layerNames[t - 1] ?? `${t}`,
      tickRotate: rotate ? -40 : 0,
    },
    y: { label: "channels", grid: true, nice: true },
    color: { domain: groups.map((g) => g.label), range: groups.map((g) => g.color) },
    marks: [
      Plot.rectY(bars, {
        x1: "x1",
        x2: "x2",
        y: "channels",
        fill: "group",
        insetLeft: 0.4,
        ariaDescription: "channels",
      }),
      Plot.ruleY([0]),
      Plot.dot(guards, {
        x: "x",
        y: "channels",
        symbol: "triangle",
        rotate: 180,
        dy: -6,
        r: 3.5,
        fill: "white",
        stroke: "black",
        strokeWidth: 0.8,
        ariaDescription: "guard marker",
      }),
    ],
  }) as unknown as SvgNode;
  return composeFigure(options.name, width, key.height + 4 + plotHeight, [
    { element: key.element, x: 40, y: 0 },
    { element: plot, x: 0, y: key.height + 4 },
  ]);
}
