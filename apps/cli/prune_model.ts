/**
 * Pruning a model and recording it: the slim model, the accuracies of the full, masked and
 * slim models, their speeds, and the prune folder (`pruned.safetensors`, `prune.json`).
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import {
  maskParams,
  mergePassReports,
  multiPassPrune,
  prune,
  type PruneReport,
} from "@slimming/slimming";
import {
  PRUNE_FILES,
  type PruneSummary,
  pruneSummary,
  writePruneSummary,
} from "@slimming/run-format";
import type { VggParams } from "@slimming/vgg";
import { saveModel } from "./checkpoint.ts";
import type { LoadedData } from "./dataset.ts";
import { evaluate, inferenceSpeed } from "./evaluate.ts";

/** Multi-pass pruning (the paper's Table 4): passes, per-pass layer cap, fine-tuning between. */
export interface MultiPassSetting {
  readonly passes: number;
  readonly maxLayerRatio: number;
  readonly fineTune: (model: VggParams, pass: number) => Promise<VggParams>;
}

/** Options of {@linkcode pruneModel}. */
export interface PruneModelOptions {
  readonly ratio: number;
  readonly minChannels: number;
  readonly multiPass?: MultiPassSetting;
  readonly checkpoint: string;
  readonly out: string;
  readonly data: LoadedData;
}

/** The slim model and its report, with the masked model's accuracy when one exists. */
interface Pruned {
  readonly slim: VggParams;
  readonly report: PruneReport;
  readonly maskedAcc?: number;
}

async function pruneOnce(params: VggParams, options: PruneModelOptions): Promise<Pruned> {
  const result = prune(params, options.ratio, { minChannels: options.minChannels });
  const masked = maskParams(params, result.masks);
  const maskedAcc = (await evaluate(masked, options.data.test)).accuracy;
  disposeTree(masked);
  return { slim: result.params, report: result.report, maskedAcc };
}

async function pruneInPasses(
  params: VggParams,
  options: PruneModelOptions,
  { passes, maxLayerRatio, fineTune }: MultiPassSetting,
): Promise<Pruned> {
  const multi = await multiPassPrune(params, {
    passes,
    ratio: options.ratio,
    maxLayerRatio,
    minChannels: options.minChannels,
    fineTune: (model, pass) => (pass === passes - 1 ? model : fineTune(model, pass)),
  });
  // The fine-tuned intermediate passes change the weights: no masked model to measure.
  return { slim: multi.params, report: mergePassReports(multi.reports, options.ratio) };
}

/**
 * Prunes `params` (not modified), evaluates full, masked and slim models, measures their speed,
 * and writes `out/pruned.safetensors` and `out/prune.json`. A multi-pass prune has no masked
 * model: its summary leaves `maskedTestAcc` out.
 */
export async function pruneModel(
  params: VggParams,
  options: PruneModelOptions,
): Promise<PruneSummary> {
  const { data } = options;
  const before = await evaluate(params, data.test);
  const { slim, report, maskedAcc } = options.multiPass
    ? await pruneInPasses(params, options, options.multiPass)
    : await pruneOnce(params, options);
  const slimAcc = (await evaluate(slim, data.test)).accuracy;
  const speedBefore = await inferenceSpeed(params);
  const speedAfter = await inferenceSpeed(slim);
  const summary = pruneSummary(report, {
    ratio: options.ratio,
    minChannels: options.minChannels,
    testAccBefore: before.accuracy,
    maskedTestAcc: maskedAcc,
    slimTestAcc: slimAcc,
    imagesPerSecondBefore: speedBefore,
    imagesPerSecondAfter: speedAfter,
    checkpoint: options.checkpoint,
  });

  await Deno.mkdir(options.out, { recursive: true });
  await saveModel(`${options.out}/${PRUNE_FILES.model}`, slim, {
    ratio: String(options.ratio),
    source: options.checkpoint,
  });
  await writePruneSummary(options.out, summary);
  disposeTree(slim);
  return summary;
}
