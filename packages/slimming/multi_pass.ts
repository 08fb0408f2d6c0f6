/**
 * The paper's multi-pass scheme (Sec. 4.5, Table 4): prune with a per-layer cap, fine-tune,
 * repeat; generic over architectures through a {@linkcode PassPruner} (each architecture's
 * package supplies its pass).
 *
 * @module
 */
import { disposeTree, treeLeaves } from "@slimming/tensor-utils";
import { composeMasks } from "./merge_passes.ts";
import type { PruneReport } from "./report.ts";
import {
  validateMaxLayerRatio,
  validateMinChannels,
  validatePasses,
  validateRatio,
} from "./_validate.ts";

/**
 * Fine-tunes the model of pass `pass` (0-based). It receives a model owned by the multi-pass
 * prune and hands back the model to continue with: the same tree, or a new one, in which
 * case every tensor of the given tree that the new one does not hold is disposed for it.
 */
export type FineTune<P> = (params: P, pass: number) => Promise<P> | P;

/** One capped pass of an architecture: what {@linkcode multiPassPruneWith} calls. */
export interface PassPruner<P, R extends PruneReport = PruneReport> {
  /** |gamma| of the channels a pass ranks, per BN layer (read asynchronously). */
  absGammas(params: P): Promise<readonly Float32Array[]>;
  /** The pass at `ratio` with the per-layer cap; new tensors, `params` unchanged. */
  prune(
    params: P,
    abs: readonly Float32Array[],
    ratio: number,
    options: { readonly minChannels: number; readonly maxLayerRatio: number },
  ): { readonly params: P; readonly masks: boolean[][]; readonly report: R };
}

/** Options of {@linkcode multiPassPruneWith}. */
export interface MultiPassOptions<P> {
  /** Number of prune-then-fine-tune passes (a positive integer). */
  readonly passes: number;
  /** Global ratio of each pass, of the channels the model has at that pass, in [0, 1). */
  readonly ratio: number;
  /** Largest fraction of a layer's channels one pass may remove (default 0.5). */
  readonly maxLayerRatio?: number;
  /** Fewest channels any layer keeps (default 1). */
  readonly minChannels?: number;
  /** Called after every pass, the last included; none leaves the pruned model as it is. */
  readonly fineTune?: FineTune<P>;
}

/** The final model of any architecture, what each pass did and what the passes kept. */
export interface PassesResult<P, R extends PruneReport = PruneReport> {
  /** The model after the last pass and its fine-tuning; new tensors the caller disposes. */
  readonly params: P;
  /** One report per pass, in order; each pass's `channelsBefore` is the last one's `kept`. */
  readonly reports: R[];
  /**
   * Per BN layer of the original model, per channel: kept by every pass ({@linkcode
   * composeMasks} over the passes). Without fine-tuning, masking the original model with
   * these computes what the final model computes.
   */
  readonly masks: boolean[][];
}

function disposeReplaced<P>(given: P, returned: P): void {
  if (given === returned) return;
  const kept = new Set(treeLeaves(returned));
  for (const t of treeLeaves(given)) if (!kept.has(t)) t.dispose();
}

/**
 * Multi-pass pruning of any architecture: `passes` times, prune the current model at
 * `ratio` with `pruner` (the per-layer cap `maxLayerRatio`, default 0.5, and the
 * `minChannels` guard, default 1), then call `fineTune(model, pass)`. The callback runs
 * after every pass including the last (it gets the 0-based pass index, so it can skip the
 * last one). `params` is never changed or disposed; every intermediate model is disposed,
 * also when the pruner or the callback throws.
 */
export async function multiPassPruneWith<P, R extends PruneReport>(
  params: P,
  pruner: PassPruner<P, R>,
  options: MultiPassOptions<P>,
): Promise<PassesResult<P, R>> {
  const passes = validatePasses(options.passes);
  const ratio = validateRatio(options.ratio);
  const stepOptions = {
    maxLayerRatio: validateMaxLayerRatio(options.maxLayerRatio ?? 0.5),
    minChannels: validateMinChannels(options.minChannels ?? 1),
  };
  const reports: R[] = [];
  let masks: boolean[][] | undefined;
  let current = params;
  try {
    for (let pass = 0; pass < passes; pass++) {
      const abs = await pruner.absGammas(current);
      const result = pruner.prune(current, abs, ratio, stepOptions);
      if (current !== params) disposeTree(current);
      current = result.params;
      reports.push(result.report);
      masks = masks ? composeMasks(masks, result.masks) : result.masks.map((m) => [...m]);
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
  return { params: current, reports, masks: masks ?? [] };
}
