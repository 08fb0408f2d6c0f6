/**
 * The report's four figures from the lab's data. A figure whose stages were not run at
 * all is `undefined`; the PDF then says "not run" in its place.
 *
 * @module
 */
import { accuracyCurves } from "./figures/accuracy_curves.ts";
import { channelBars } from "./figures/channel_bars.ts";
import { gammaHistograms } from "./figures/gamma_histograms.ts";
import type { Figure } from "./figures/svg.ts";
import { FIGURE_WIDTH, lambdaColor, ratioColor } from "./figures/theme.ts";
import type { MeasureText } from "./fonts.ts";
import { formatFraction, formatSignificant } from "./format.ts";
import { type GammaSummary, NEAR_ZERO } from "./gamma_summary.ts";
import { prunedLabel, sparsityLabel } from "./labels.ts";
import type { LabData } from "./lab_types.ts";
import { fineTuneStart } from "./fine_tune_start.ts";
import { type CurveMark, pruningCurve } from "./figures/pruning_curve.ts";
import { bestTestEpoch } from "./history.ts";
import { datasetOf, prunedLayerNames } from "@slimming/run-format";
import { archInfoOfTag } from "@slimming/architectures/info";

/** File stems of the figures under `figures/`, in report order. */
export const FIGURE_NAMES = [
  "sparsity_accuracy",
  "gamma_histograms",
  "pruned_channels",
  "finetune_accuracy",
  "pruning_curve",
] as const;

/** The figures of one report. */
export interface ReportFigures {
  readonly sparsityAccuracy?: Figure;
  readonly gammaHistograms?: Figure;
  readonly prunedChannels?: Figure;
  readonly finetuneAccuracy?: Figure;
  readonly pruningCurve?: Figure;
}

/** Histogram bins per λ panel. */
export const GAMMA_BINS = 30;

/** A round upper end for the |γ| axis: `max` rounded up on its second significant digit. */
export function niceUpperBound(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const step = 10 ** (Math.floor(Math.log10(max)) - 1);
  return Number((Math.ceil(max / step - 1e-9) * step).toPrecision(2));
}

function sparsityAccuracy(lab: LabData, measure: MeasureText): Figure | undefined {
  return accuracyCurves({
    name: "sparsity_accuracy",
    series: lab.sparsity.map((result, i) => ({
      label: sparsityLabel(result.lambda),
      color: lambdaColor(i),
      history: result.run?.history ?? [],
    })),
    width: FIGURE_WIDTH,
    plotHeight: 250,
    measure,
  });
}

function gammaFigure(gammas: readonly GammaSummary[], measure: MeasureText): Figure | undefined {
  if (!gammas.some((g) => g.absGammas !== undefined)) return undefined;
  const max = Math.max(...gammas.filter((g) => g.channels > 0).map((g) => g.max));
  return gammaHistograms({
    name: "gamma_histograms",
    panels: gammas.map((g, i) => ({
      title: sparsityLabel(g.lambda),
      subtitle: g.absGammas === undefined
        ? "not run"
        : `|γ| < ${formatSignificant(NEAR_ZERO)}: ${formatFraction(g.nearZero / g.channels)}`,
      color: lambdaColor(i),
      absGammas: g.absGammas,
    })),
    maxAbsGamma: niceUpperBound(max),
    bins: GAMMA_BINS,
    width: FIGURE_WIDTH,
    panelHeight: 170,
    measure,
  });
}

function prunedChannels(lab: LabData, measure: MeasureText): Figure | undefined {
  const pruned = lab.prunes.flatMap((p, i) => p.summary ? [{ ...p.summary, index: i }] : []);
  if (pruned.length === 0) return undefined;
  const reference = pruned[0];
  const names = prunedLayerNames({
    ...reference,
    cfgBefore: reference.cfgBefore ?? lab.info.cfg ?? [],
  });
  return channelBars({
    name: "pruned_channels",
    layerNames: reference.channelsBefore.map((_, i) => names[i] ?? `${i + 1}`),
    before: reference.channelsBefore,
    beforeLabel: `before pruning (${sparsityLabel(lab.pruneLambda ?? NaN)})`,
    series: pruned.map((p) => ({
      label: prunedLabel(p.ratio),
      color: ratioColor(p.index),
      kept: p.kept,
      guarded: p.guardedLayers,
    })),
    width: FIGURE_WIDTH,
    plotHeight: 230,
    measure,
  });
}

function finetuneAccuracy(lab: LabData, measure: MeasureText): Figure | undefined {
  const series = lab.finetunes.map((f, i) => ({
    label: prunedLabel(f.ratio),
    color: ratioColor(i),
    history: f.run?.history ?? [],
  }));
  const points = lab.finetunes.flatMap((f, i) => {
    const slim = fineTuneStart(lab.prunes[i]?.summary, f.run).accuracy;
    const first = f.run?.history[0]?.epoch;
    return first === undefined || typeof slim !== "number"
      ? []
      : [{ series: prunedLabel(f.ratio), epoch: first - 1, accuracy: slim }];
  });
  const unpruned = lab.prunes.find((p) => typeof p.summary?.testAccBefore === "number")?.summary
    ?.testAccBefore;
  return accuracyCurves({
    name: "finetune_accuracy",
    series,
    references: unpruned === undefined ? [] : [{
      label: `unpruned ${sparsityLabel(lab.pruneLambda ?? NaN)} (test)`,
      accuracy: unpruned,
    }],
    points,
    pointsLabel: "pruned model before fine-tuning (test)",
    width: FIGURE_WIDTH,
    plotHeight: 250,
    measure,
  });
}

/** The published fine-tuned results for the lab's network and data set, as curve marks. */
export function publishedMarks(lab: LabData): CurveMark[] {
  const mark = (label: string, accuracy: number, ratio?: number, flopsKept?: number) => ({
    label,
    kind: "published" as const,
    color: "black",
    accuracy,
    ...(ratio === undefined ? {} : { ratio }),
    ...(flopsKept === undefined ? {} : { flopsKept }),
  });
  const rows = archInfoOfTag(lab.info.arch, "lab.json").published[datasetOf(lab.info)]?.rows;
  return (rows ?? []).map((row) =>
    mark(
      row.source,
      row.prunedAcc,
      row.ratio,
      row.flopsBefore === undefined || row.flopsAfter === undefined
        ? undefined
        : row.flopsAfter / row.flopsBefore,
    )
  );
}

function pruningCurveFigure(lab: LabData, measure: MeasureText): Figure | undefined {
  const lambdaIndex = (lambda: number) => lab.sparsity.findIndex((s) => s.lambda === lambda);
  const series = lab.sweeps.flatMap((s) =>
    s.summary
      ? [{
        label: sparsityLabel(s.lambda),
        color: lambdaColor(Math.max(0, lambdaIndex(s.lambda))),
        unpruned: s.summary.testAccBefore,
        points: s.summary.points.map((p) => ({
          ratio: p.ratio,
          flopsKept: p.flopsAfter / s.summary!.flopsBefore,
          slim: p.slimTestAcc,
          ...(p.recalibratedTestAcc === undefined ? {} : { recalibrated: p.recalibratedTestAcc }),
        })),
      }]
      : []
  );
  const color = lambdaColor(Math.max(0, lambdaIndex(lab.pruneLambda ?? NaN)));
  const finetuned: CurveMark[] = lab.finetunes.flatMap((f, i) => {
    const best = f.run && bestTestEpoch(f.run.history);
    const prune = lab.prunes[i]?.summary;
    if (best === undefined || typeof best.testAcc !== "number") return [];
    return [{
      label: `${prunedLabel(f.ratio)}, fine-tuned (best epoch ${best.epoch})`,
      kind: "finetuned" as const,
      color,
      accuracy: best.testAcc,
      ratio: f.ratio,
      ...(prune ? { flopsKept: prune.flopsAfter / prune.flopsBefore } : {}),
    }];
  });
  return pruningCurve({
    name: "pruning_curve",
    series,
    marks: [...finetuned, ...publishedMarks(lab)],
    width: FIGURE_WIDTH,
    panelHeight: 210,
    measure,
  });
}

/** Builds every figure the lab has data for. */
export function buildFigures(
  lab: LabData,
  gammas: readonly GammaSummary[],
  measure: MeasureText,
): ReportFigures {
  return {
    sparsityAccuracy: sparsityAccuracy(lab, measure),
    gammaHistograms: gammaFigure(gammas, measure),
    prunedChannels: prunedChannels(lab, measure),
    finetuneAccuracy: finetuneAccuracy(lab, measure),
    pruningCurve: pruningCurveFigure(lab, measure),
  };
}
