/**
 * VGG's export (its descriptor's `exportChain`): the layer chain of `@slimming/export` read
 * from its PyTorch state_dict, which exports as a Sequential tfjs model and a chain of ONNX
 * nodes named "vgg".
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import {
  BN_EPS,
  type ConvLayer,
  type ExportChainBuilder,
  type InferenceModel,
} from "@slimming/export/graph";
import { type Cfg, convChannels, VGG_TAG } from "./cfg.ts";
import { featureIndices } from "./state_dict.ts";

/**
 * The layer chain of the VGG in `stateDict` (names and layouts of `toStateDict`,
 * already checked against `cfg`, e.g. by `fromStateDict`).
 */
export function inferenceModelFromStateDict(
  cfg: Cfg,
  stateDict: Readonly<Record<string, NamedArray>>,
  eps = BN_EPS,
): InferenceModel {
  const get = (key: string): Float32Array => {
    const entry = stateDict[key];
    if (!entry || !(entry.data instanceof Float32Array)) {
      throw new RangeError(`state_dict has no float32 ${key}`);
    }
    return entry.data;
  };
  const indices = featureIndices(cfg);
  let inChannels = 3;
  const convs = convChannels(cfg).map((out, i): ConvLayer => {
    const bn = `feature.${indices[i].bn}`;
    const layer: ConvLayer = {
      inChannels,
      outChannels: out,
      weight: get(`feature.${indices[i].conv}.weight`),
      bn: {
        gamma: get(`${bn}.weight`),
        beta: get(`${bn}.bias`),
        mean: get(`${bn}.running_mean`),
        variance: get(`${bn}.running_var`),
        eps,
      },
    };
    inChannels = out;
    return layer;
  });
  const bias = get("classifier.bias");
  return {
    cfg: [...cfg],
    convs,
    head: { weight: get("classifier.weight"), bias },
    numClasses: bias.length,
  };
}

/**
 * VGG's layer chain builder: the chain of `spec.cfg` from `stateDict`, named "vgg" (its
 * tfjs Sequential model and its ONNX graph).
 */
export const vggExportChain: ExportChainBuilder = (spec, stateDict) => ({
  model: inferenceModelFromStateDict(spec.cfg, stateDict),
  name: VGG_TAG,
  title: "VGG-BN (Network Slimming) for CIFAR-10: normalised NCHW float32 in, logits out",
});
