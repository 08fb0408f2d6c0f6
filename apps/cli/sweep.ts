/**
 * A pruning sweep: one checkpoint pruned at many ratios with `prune`'s rules (one global
 * threshold, the min-channels guard, round-to), each slim model evaluated, optionally after
 * re-estimating its BN statistics, and timed. Nothing but the summary is written.
 *
 * @module
 */
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import type { SweepPoint, SweepSummary } from "@slimming/run-format";
import {
  archField,
  architectureOf,
  type ModelParams,
  requireCapability,
} from "@slimming/architectures";
import type { LoadedData } from "./dataset.ts";
import { evaluate, inferenceSpeed, recalibrate } from "@slimming/train";

/** Options of {@linkcode sweepModel}. */
export interface SweepOptions {
  readonly ratios: readonly number[];
  readonly minChannels: number;
  readonly roundTo: number;
  /** Training images re-estimating the BN statistics at each ratio (0: none). */
  readonly recalibrate: number;
  readonly recalibrateAugment: boolean;
  readonly seed: number;
  readonly checkpoint: string;
  readonly data: LoadedData;
  /** Called after each ratio, with its index. */
  readonly onPoint?: (point: SweepPoint, index: number) => void;
}

/** Timed inference rounds per slim model (median). */
const SPEED_ROUNDS = 3;

/**
 * Parses `--ratios`: a comma-separated list (`0.3,0.5,0.9`) or `start:stop:step` with both
 * ends included (`0.1:0.95:0.05`); every ratio in [0, 1), in increasing order, no duplicates.
 */
export function parseRatios(text: string): number[] {
  const fail = (why: string): never => {
    throw new UsageError(
      `--ratios must be a list (0.3,0.5,0.9) or start:stop:step (0.1:0.95:0.05) of ratios in ` +
        `[0, 1); ${why}, got "${text}"`,
    );
  };
  let ratios: number[];
  if (text.includes(":")) {
    const parts = text.split(":").map((s) => Number(s.trim()));
    if (
      parts.length !== 3 || parts.some((v, i) => !Number.isFinite(v) || text.split(":")[i] === "")
    ) {
      fail("three numbers expected");
    }
    const [start, stop, step] = parts;
    if (!(step > 0)) fail("the step must be positive");
    if (stop < start) fail("stop is below start");
    const count = Math.floor((stop - start) / step + 1e-9) + 1;
    if (count > 1000) fail("more than 1,000 ratios");
    ratios = Array.from({ length: count }, (_, i) => Number((start + i * step).toFixed(10)));
  } else {
    ratios = text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  }
  if (ratios.some((r) => !Number.isFinite(r) || r < 0 || r >= 1)) fail("a ratio outside [0, 1)");
  const sorted = [...ratios].sort((a, b) => a - b);
  if (sorted.some((r, i) => i > 0 && r === sorted[i - 1])) fail("a ratio twice");
  return sorted;
}

/** Sweeps `params` (not modified) over `options.ratios`; the summary, not yet written. */
export async function sweepModel(
  params: ModelParams,
  options: SweepOptions,
): Promise<SweepSummary> {
  const started = performance.now();
  const { data } = options;
  const arch = architectureOf(params);
  if (options.roundTo > 1) requireCapability(arch, "roundTo");
  const before = await evaluate(params, data.test);
  const speedBefore = await inferenceSpeed(params, 256, SPEED_ROUNDS);
  const abs = await arch.absGammas(params);
  const points: SweepPoint[] = [];
  let first: { channelsBefore: number[]; paramsBefore: number; flopsBefore: number } | undefined;
  for (const [index, ratio] of options.ratios.entries()) {
    const pruned = arch.prune(params, abs, ratio, {
      minChannels: options.minChannels,
      roundTo: options.roundTo,
    });
    const { report } = pruned;
    first ??= report;
    const slimTestAcc = (await evaluate(pruned.params, data.test)).accuracy;
    let recalibratedTestAcc: number | undefined;
    if (options.recalibrate > 0) {
      const recal = await recalibrate(
        pruned.params,
        data.train,
        Math.min(options.recalibrate, data.train.count),
        options.seed,
        options.recalibrateAugment,
      );
      recalibratedTestAcc = (await evaluate(recal, data.test)).accuracy;
      disposeTree(recal);
    }
    const point: SweepPoint = {
      ratio,
      threshold: report.threshold,
      kept: [...report.kept],
      guardedLayers: [...report.guardedLayers],
      paramsAfter: report.paramsAfter,
      flopsAfter: report.flopsAfter,
      slimTestAcc,
      ...(recalibratedTestAcc === undefined ? {} : { recalibratedTestAcc }),
      imagesPerSecond: await inferenceSpeed(pruned.params, 256, SPEED_ROUNDS),
    };
    disposeTree(pruned.params);
    points.push(point);
    options.onPoint?.(point, index);
  }
  return {
    ...archField(arch.name),
    checkpoint: options.checkpoint,
    layerNames: arch.layerNames(arch.specOf(params)),
    channelsBefore: [...(first?.channelsBefore ?? [])],
    minChannels: options.minChannels,
    roundTo: options.roundTo,
    recalibrationImages: options.recalibrate,
    recalibrationAugmented: options.recalibrateAugment,
    testImages: data.test.count,
    paramsBefore: first?.paramsBefore ?? 0,
    flopsBefore: first?.flopsBefore ?? 0,
    testAccBefore: before.accuracy,
    imagesPerSecondBefore: speedBefore,
    points,
    seconds: (performance.now() - started) / 1000,
  };
}
