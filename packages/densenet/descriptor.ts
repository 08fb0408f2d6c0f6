/**
 * The DenseNet's descriptor, tfjs part (export path `@slimming/densenet/descriptor`): build,
 * run, store, count and prune a {@linkcode DensenetParams} for the commands.
 *
 * @module
 */
import type { Architecture } from "@slimming/architectures/descriptor";
import { densenetExportGraph } from "./export_graph.ts";
import type { PruneReport } from "@slimming/slimming";
import { densenetAbsGammasAsync, maskDensenet, pruneDensenetFromAbsGammas } from "./prune.ts";
import { densenetModelSpec, densenetSpecOf, info } from "./info.ts";
import { type DensenetParams, initDensenet } from "./params.ts";
import { densenetOps } from "./ops.ts";
import { densenetMetadata, fromStateDict, specFromMetadata, toStateDict } from "./state_dict.ts";

/** The DenseNet's descriptor, tfjs part. */
export const descriptor: Architecture<DensenetParams> = {
  ...info,
  ops: densenetOps,
  init: (spec, { seed, numClasses }) => {
    const { depth, growthRate, cfg } = densenetSpecOf(spec);
    return initDensenet({ depth, growthRate, cfg, numClasses, seed });
  },
  specOf: (params) => densenetModelSpec(params),
  numClasses: (params) => params.fc.weight.shape[1],
  toStateDict: (params) => toStateDict(params),
  metadata: (params, extra) => densenetMetadata(params, extra),
  specFromMetadata: (metadata, source) => densenetModelSpec(specFromMetadata(metadata, source)),
  fromStateDict: (file, source) => fromStateDict(file, { source }),
  absGammas: densenetAbsGammasAsync,
  prune: (params, abs, ratio, options) => {
    const { report, ...rest } = pruneDensenetFromAbsGammas(params, abs, ratio, options);
    return { ...rest, report: report as PruneReport };
  },
  mask: maskDensenet,
  exportGraph: densenetExportGraph,
};
