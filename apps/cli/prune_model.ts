/**
 * Pruning a model and recording it: the slim model, the accuracies of the full, masked and
 * slim models, their speeds, and the prune folder (`pruned.safetensors`, `prune.json`).
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import { mergePassReports, multiPassPruneWith, type PruneReport } from "@slimming/slimming";
import {
  PRUNE_FILES,
  type PruneSummary,
  pruneSummary,
  writePruneSummary,
} from "@slimming/run-format";
import {
  archField,
  architectureOf,
  type ModelParams,
  requireCapability,
} from "@slimming/architectures";
import { evaluate, inferenceSpeed, recalibrate, saveModel } from "@slimming/train";
import type { LoadedData } from "./dataset.ts";
import { nanLossWarning } from "./closing.ts";

/** Multi-pass pruning (the paper's Table 4): passes, per-pass layer cap, fine-tuning between. */
export interface MultiPassSetting {
  readonly passes: number;
  readonly maxLayerRatio: number;
  readonly fineTune: (model: ModelParams, pass: number) => Promise<ModelParams>;
}

/** Options of {@linkcode pruneModel}. */
export interface PruneModelOptions {
  readonly ratio: number;
  readonly minChannels: number;
  /** Round each layer's kept count up to a multiple of this (default 1: no rounding). */
  readonly roundTo?: number;
  /** Training images that re-estimate the slim model's BN statistics (default 0: none). */
  readonly recalibrate?: number;
  /** Augment the recalibration images as in training (default true). */
  readonly recalibrateAugment?: boolean;
  /** Seed of the recalibration images' order. */
  readonly seed?: number;
  readonly multiPass?: MultiPassSetting;
  readonly checkpoint: string;
  readonly out: string;
  readonly data: LoadedData;
  /** Receives warning lines (a checkpoint whose test loss is NaN). */
  readonly warn?: (line: string) => void;
}

/** The slim model and its report, with the masked model's accuracy when one exists. */
interface Pruned {
  readonly slim: ModelParams;
  readonly report: PruneReport;
  readonly maskedAcc?: number;
  readonly keptBeforeRounding?: number[];
}

async function pruneOnce(params: ModelParams, options: PruneModelOptions): Promise<Pruned> {
  const roundTo = options.roundTo ?? 1;
  const arch = architectureOf(params);
  if (roundTo > 1) requireCapability(arch, "roundTo");
  // Read asynchronously: a GPU backend (webgpu) cannot read tensors synchronously.
  const abs = await arch.absGammas(params);
  const result = arch.prune(params, abs, options.ratio, {
    minChannels: options.minChannels,
    roundTo,
  });
  const masked = arch.mask(params, result.masks);
  const maskedAcc = (await evaluate(masked, options.data.test)).accuracy;
  disposeTree(masked);
  return {
    slim: result.params,
    report: result.report,
    maskedAcc,
    ...(roundTo > 1 ? { keptBeforeRounding: result.keptBeforeRounding } : {}),
  };
}

async function pruneInPasses(
  params: ModelParams,
  options: PruneModelOptions,
  { passes, maxLayerRatio, fineTune }: MultiPassSetting,
): Promise<Pruned> {
  const arch = architectureOf(params);
  requireCapability(arch, "multiPass");
  // Each pass ranks and prunes through the architecture (its per-layer cap: maxLayerRatio).
  const pruner = { absGammas: arch.absGammas, prune: arch.prune };
  const multi = await multiPassPruneWith(params, pruner, {
    passes,
    ratio: options.ratio,
    maxLayerRatio,
    minChannels: options.minChannels,
    fineTune: async (model, pass) => {
      if (pass === passes - 1) return model;
      const tuned = await fineTune(model, pass);
      if (architectureOf(tuned) !== arch) {
        throw new TypeError("multi-pass fine-tune returned another architecture");
      }
      return tuned;
    },
  });
  // The fine-tuned intermediate passes change the weights: no masked model to measure.
  return { slim: multi.params, report: mergePassReports(multi.reports, options.ratio) };
}

/** The slim model with recalibrated BN statistics and its accuracy, when asked for. */
async function recalibrated(
  slim: ModelParams,
  options: PruneModelOptions,
): Promise<{ params: ModelParams; testAcc: number } | undefined> {
  const images = Math.min(options.recalibrate ?? 0, options.data.train.count);
  if (images <= 0) return undefined;
  requireCapability(architectureOf(slim), "recalibration");
  const params = await recalibrate(
    slim,
    options.data.train,
    images,
    options.seed ?? 1,
    options.recalibrateAugment ?? true,
  );
  return { params, testAcc: (await evaluate(params, options.data.test)).accuracy };
}

/**
 * Prunes `params` (not modified), evaluates full, masked and slim models, measures their speed,
 * and writes `out/pruned.safetensors` (vggprune's model: the kept weights and statistics as
 * they were) and `out/prune.json`. With `recalibrate` > 0 it also writes
 * `out/recalibrated.safetensors`, the slim model with BN statistics re-estimated on that many
 * training images, and records its accuracy. A multi-pass prune has no masked model: its
 * summary leaves `maskedTestAcc` out.
 */
export async function pruneModel(
  params: ModelParams,
  options: PruneModelOptions,
): Promise<PruneSummary> {
  const { data } = options;
  const before = await evaluate(params, data.test);
  if (!Number.isFinite(before.loss)) {
    options.warn?.(nanLossWarning(options.checkpoint, before.loss));
  }
  const { slim, report, maskedAcc, keptBeforeRounding } = options.multiPass
    ? await pruneInPasses(params, options, options.multiPass)
    : await pruneOnce(params, options);
  const slimAcc = (await evaluate(slim, data.test)).accuracy;
  const recal = await recalibrated(slim, options);
  const speedBefore = await inferenceSpeed(params);
  const speedAfter = await inferenceSpeed(slim);
  const arch = architectureOf(params);
  const summary = pruneSummary(report, {
    ...archField(arch.name),
    layerNames: arch.layerNames(arch.specOf(params)),
    ratio: options.ratio,
    minChannels: options.minChannels,
    ...(keptBeforeRounding ? { roundTo: options.roundTo, keptBeforeRounding } : {}),
    testAccBefore: before.accuracy,
    maskedTestAcc: maskedAcc,
    slimTestAcc: slimAcc,
    ...(recal
      ? {
        recalibratedTestAcc: recal.testAcc,
        recalibrationImages: options.recalibrate,
        recalibrationAugmented: options.recalibrateAugment ?? true,
      }
      : {}),
    imagesPerSecondBefore: speedBefore,
    imagesPerSecondAfter: speedAfter,
    checkpoint: options.checkpoint,
  });

  await Deno.mkdir(options.out, { recursive: true });
  const metadata = { ratio: String(options.ratio), source: options.checkpoint };
  await saveModel(`${options.out}/${PRUNE_FILES.model}`, slim, metadata);
  if (recal) {
    await saveModel(`${options.out}/${PRUNE_FILES.recalibrated}`, recal.params, {
      ...metadata,
      recalibrationImages: String(options.recalibrate),
    });
    disposeTree(recal.params);
  }
  await writePruneSummary(options.out, summary);
  disposeTree(slim);
  return summary;
}
