/**
 * The CIFAR ResNet's descriptor, tfjs part (export path `@slimming/cifar-resnet/descriptor`):
 * build, run, store, count, prune and export a {@linkcode CifarResnetParams} for the
 * commands.
 *
 * @module
 */
import type { Architecture } from "@slimming/architectures/descriptor";
import { cifarResnetExportGraph } from "./export_graph.ts";
import { cifarResnetModelSpec, cifarResnetShapeOf, info } from "./info.ts";
import {
  cifarResnetNumClasses,
  type CifarResnetParams,
  cifarResnetSpecOf,
  initCifarResnet,
} from "./params.ts";
import { cifarResnetOps } from "./ops.ts";
import { cifarResnetAbsGammas, maskCifarResnet, pruneCifarResnetFromAbsGammas } from "./prune.ts";
import {
  cifarResnetFromStateDict,
  cifarResnetMetadata,
  cifarResnetSpecFromMetadata,
  cifarResnetToStateDict,
} from "./state_dict.ts";

/** The CIFAR ResNet's descriptor, tfjs part. */
export const descriptor: Architecture<CifarResnetParams> = {
  ...info,
  ops: cifarResnetOps,
  init: (spec, { seed, numClasses }) => {
    const { depth, planes, cfg } = cifarResnetShapeOf(spec);
    return initCifarResnet({ depth, planes, cfg, numClasses, seed });
  },
  specOf: (params) => cifarResnetModelSpec(cifarResnetSpecOf(params)),
  numClasses: cifarResnetNumClasses,
  toStateDict: (params) => cifarResnetToStateDict(params),
  metadata: (params, extra) => cifarResnetMetadata(cifarResnetSpecOf(params), extra),
  specFromMetadata: (metadata, source) =>
    cifarResnetModelSpec(cifarResnetSpecFromMetadata(metadata, source)),
  fromStateDict: (file, source) => cifarResnetFromStateDict(file, { source }),
  absGammas: cifarResnetAbsGammas,
  prune: (params, abs, ratio, options) => {
    const { params: slim, masks, report, keptBeforeRounding } = pruneCifarResnetFromAbsGammas(
      params,
      abs,
      ratio,
      options,
    );
    return { params: slim, masks, report, ...(keptBeforeRounding ? { keptBeforeRounding } : {}) };
  },
  mask: maskCifarResnet,
  exportGraph: cifarResnetExportGraph,
};
