/**
 * The pre-activation ResNet's descriptor, tfjs part (export path
 * `@slimming/resnet/descriptor`): build, run, store, count and prune a
 * {@linkcode ResnetParams} for the commands.
 *
 * @module
 */
import type { Architecture } from "@slimming/architectures/descriptor";
import { resnetExportGraph } from "./export_graph.ts";
import { maskResnetParams, pruneResnetFromAbsGammas, resnetLiveAbsGammas } from "./prune.ts";
import { info, resnetShapeOf, resnetSpec } from "./info.ts";
import { initResnet, type ResnetParams } from "./params.ts";
import { resnetOps } from "./ops.ts";
import {
  fromStateDict,
  resnetCheckpointMetadata,
  resnetShapeFromMetadata,
  toStateDict,
} from "./state_dict.ts";

/** The pre-activation ResNet's descriptor, tfjs part. */
export const descriptor: Architecture<ResnetParams> = {
  ...info,
  ops: resnetOps,
  init: (spec, { seed, numClasses }) => {
    const { depth, cfg } = resnetShapeOf(spec);
    return initResnet({ depth, cfg, width: spec.width ?? 1, numClasses, seed });
  },
  specOf: (params) => resnetSpec(params),
  numClasses: (params) => params.fc.weight.shape[1],
  toStateDict: (params) => toStateDict(params),
  metadata: (params, extra) => resnetCheckpointMetadata(params, extra),
  specFromMetadata: (metadata, source) => resnetSpec(resnetShapeFromMetadata(metadata, source)),
  fromStateDict: (file, source) => fromStateDict(file, { source }),
  absGammas: resnetLiveAbsGammas,
  prune: (params, abs, ratio, options) => pruneResnetFromAbsGammas(params, abs, ratio, options),
  mask: maskResnetParams,
  exportGraph: resnetExportGraph,
};
