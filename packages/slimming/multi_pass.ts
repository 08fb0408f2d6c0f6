/**
 * The paper's multi-pass scheme (Sec. 4.5, Table 4): prune with a per-layer cap, fine-tune,
 * repeat.
 *
 * @module
 */
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import type { CfgItem, VggParams } from "@slimming/vgg";
import { absGammasAsync } from "./gammas.ts";
import { type CappedPruneReport, pruneLayerCappedFromAbsGammas } from "./layer_cap.ts";
import { validatePasses, validateRatio } from "./_validate.ts";

/**
 * Fine-tunes the model of pass `pass` (0-based). It receives a model owned by
 * {@linkcode multiPassPrune} and hands back the model to continue with: the same tree, or a
 * new one, in which case every tensor of the given tree that the new one does not hold is
 * disposed for it.
 */
export type FineTune = (params: VggParams, pass: number) => Promise<VggParams> | VggParams;

/** Options of {@linkcode multiPassPrune}. */
export interface MultiPassOptions {
  /** Number of prune-then-fine-tune passes (a positive integer). */
  readonly passes: number;
  /** Global ratio of each pass, of the channels the model has at that pass, in [0, 1). */
  readonly ratio: number;
  /** Largest fraction of a layer's channels one pass may remove (default 0.5). */
  readonly maxLayerRatio?: number;
  /** Fewest channels any layer keeps (default 1). */
  readonly minChannels?: number;
  /** Called after every pass, the last included; none leaves the pruned model as it is. */
  readonly fineTune?: FineTune;
}

/** The final model and what each pass did. */
export interface MultiPassResult {
  /** The model after the last pass and its fine-tuning; new tensors the caller disposes. */
  readonly params: VggParams;
  /** The final model's cfg. */
  readonly cfg: CfgItem[];
  /** One report per pass, in order; each pass's `channelsBefore` is the last one's `kept`. */
  readonly reports: CappedPruneReport[];
}

function disposeReplaced(given: VggParams, returned: VggParams): void {
  if (given === returned) return;
  const kept = new Set(treeLeaves(returned));
  for (const t of treeLeaves(given)) if (!kept.has(t)) t.dispose();
}

/**
 * Multi-pass pruning: `passes` times, prune the current model at `ratio` with
 * `pruneLayerCapped` (gammas read asynchronously, so any backend works), then call
 * `fineTune(model, pass)`. The callback runs after every pass including the last (it gets
 * the 0-based pass index, so it can skip the last one), i.e. `passes` times. `params` is
 * never changed or disposed; every intermediate model is disposed, also when the callback
 * throws.
 */
export async function multiPassPrune(
  params: VggParams,
  options: MultiPassOptions,
): Promise<MultiPassResult> {
  const passes = validatePasses(options.passes);
  const ratio = validateRatio(options.ratio);
  const capOptions = { maxLayerRatio: options.maxLayerRatio, minChannels: options.minChannels };
  const reports: CappedPruneReport[] = [];
  let current = params;
  try {
    for (let pass = 0; pass < passes; pass++) {
      const abs = await absGammasAsync(current);
      const result = pruneLayerCappedFromAbsGammas(current, abs, ratio, capOptions);
      if (current !== params) disposeTree(current);
      current = result.params;
      reports.push(result.report);
      if (options.fineTune) {
        const tuned = await options.fineTune(current, pass);
        disposeReplaced(current, tuned);
        current = tuned;
      }
    }
  } catch (error) {
    if (current !== params) disposeTree(current);
    throw error;
  }
  return { params: current, cfg: [...current.cfg], reports };
}
