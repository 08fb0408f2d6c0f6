/**
 * VGG's descriptor, tfjs part (export path `@slimming/vgg/descriptor`): build, run, store,
 * count and prune a {@linkcode VggParams} for the commands.
 *
 * @module
 */
import type { Architecture } from "@slimming/architectures/descriptor";
import { UsageError } from "@slimming/tensor-utils";
import {
  absGammasOfLayers,
  maskParams,
  pruneLayerCappedFromAbsGammas,
  pruneRoundedFromAbsGammas,
} from "@slimming/slimming";
import { info } from "./info.ts";
import { VGG_TAG } from "./cfg.ts";
import { initVgg, type VggParams } from "./params.ts";
import { vggOps } from "./ops.ts";
import { cfgFromMetadata, checkpointMetadata, fromStateDict, toStateDict } from "./state_dict.ts";

/** VGG's descriptor, tfjs part. */
export const descriptor: Architecture<VggParams> = {
  ...info,
  ops: vggOps,
  init: (spec, { seed, numClasses }) => initVgg({ cfg: spec.cfg, seed, numClasses }),
  specOf: (params) => ({ arch: VGG_TAG, cfg: [...params.cfg] }),
  numClasses: (params) => params.classifier.weight.shape[1],
  toStateDict: (params) => toStateDict(params),
  metadata: (params, extra) => checkpointMetadata(params.cfg, extra),
  specFromMetadata: (metadata, source) => ({
    arch: VGG_TAG,
    cfg: cfgFromMetadata(metadata, source),
  }),
  fromStateDict: (file, source) => fromStateDict(file, { source }),
  absGammas: (params) => absGammasOfLayers(params.features.map((layer) => layer.bn)),
  prune: (params, abs, ratio, { minChannels, roundTo = 1, maxLayerRatio }) => {
    if (maxLayerRatio === undefined) {
      return pruneRoundedFromAbsGammas(params, abs, ratio, { minChannels, roundTo });
    }
    if (roundTo > 1) throw new UsageError("--round-to works with one pass only");
    return pruneLayerCappedFromAbsGammas(params, abs, ratio, { minChannels, maxLayerRatio });
  },
  mask: maskParams,
};
