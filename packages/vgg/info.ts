/**
 * VGG's descriptor, tfjs-free part (export path `@slimming/vgg/info`): its tag, names,
 * defaults, spec validation, counts and the published results it is compared with. `load()`
 * brings in the tfjs part ({@linkcode ./descriptor.ts}).
 *
 * @module
 */
import type { ArchInfo, ModelSpec, SpecRequest } from "@slimming/architectures/descriptor";
import { UsageError } from "@slimming/tensor-utils/core";
import {
  cfgForDepth,
  convLayerNames,
  parseCfg,
  scaleCfg,
  validateCfg,
  VGG_DEPTHS,
  VGG_TAG,
} from "./cfg.ts";
import { countFlops, countParams } from "./counts.ts";
import type { VggParams } from "./params.ts";

/**
 * Liu et al. 2017, Table 1 (VGGNet, CIFAR-10, 160 + 160 epochs), and the reference
 * implementation's README (Eric-mingjie/network-slimming): test accuracy in %, sizes.
 */
const CIFAR10 = {
  intro: "The paper's Table 1 (VGGNet on CIFAR-10, 160 epochs of sparsity training with " +
    "λ = 1e-4, 70% of the channels pruned, 160 epochs of fine-tuning) and the reference " +
    "implementation's README beside this lab's runs.",
  rows: [
    {
      label: "paper, 70% pruned",
      source: "paper",
      ratio: 0.7,
      baselineAcc: 93.66,
      prunedAcc: 93.8,
      paramsBefore: 20.04e6,
      paramsAfter: 2.3e6,
      flopsBefore: 7.97e8,
      flopsAfter: 3.91e8,
    },
    {
      label: "reference code, 70%",
      source: "reference code",
      ratio: 0.7,
      baselineAcc: 93.77,
      prunedAcc: 93.78,
    },
  ],
} as const;

/**
 * The reference implementation's README, VGG-19 on CIFAR-100: λ = 1e-4, 50% of the channels
 * pruned, 160 + 160 epochs; test accuracy in %. The README lists 20.04M parameters before
 * pruning, as for CIFAR-10.
 */
const CIFAR100 = {
  intro: "The reference implementation's README (VGGNet on CIFAR-100, 160 epochs of " +
    "sparsity training with λ = 1e-4, 50% of the channels pruned, 160 epochs of " +
    "fine-tuning) beside this lab's runs; the paper's own CIFAR-100 row is not repeated here.",
  rows: [{
    label: "reference code, 50%",
    source: "reference code",
    ratio: 0.5,
    baselineAcc: 72.12,
    slimAcc: 5.31,
    prunedAcc: 73.32,
    paramsBefore: 20.04e6,
    paramsAfter: 4.93e6,
  }],
} as const;

function specFor(request: SpecRequest): ModelSpec {
  if (request.cfg === undefined && request.depth !== undefined) {
    if (!VGG_DEPTHS.includes(request.depth)) {
      throw new UsageError(`--depth must be one of ${VGG_DEPTHS.join(", ")}, got ${request.depth}`);
    }
  }
  const base = request.cfg ?? cfgForDepth(request.depth ?? info.defaultDepth);
  return { arch: VGG_TAG, cfg: [...validateCfg(scaleCfg(base, request.width))] };
}

/** VGG's descriptor, tfjs-free part. */
export const info: ArchInfo<typeof VGG_TAG, VggParams> = {
  name: VGG_TAG,
  title: "VGG",
  cfgHasDepth: true,
  defaultDepth: 19,
  depths: "11, 13, 16 or 19",
  referenceScript: "vggprune.py",
  paperNetwork: { depth: 19 },
  options: { cfg: parseCfg, growthRate: false },
  capabilities: {
    roundTo: true,
    multiPass: true,
    recalibration: true,
    exportFormats: ["tfjs", "onnx"],
    benchPruned: true,
  },
  modelName: ({ depth }) => `VGG${depth === undefined ? "" : `-${depth}`}`,
  specFor,
  layerNames: (spec) => convLayerNames(spec.cfg),
  countParams: (spec, numClasses) => countParams(spec.cfg, numClasses),
  countFlops: (spec, numClasses) => countFlops(spec.cfg, numClasses),
  published: { cifar10: CIFAR10, cifar100: CIFAR100 },
  load: () => import("./descriptor.ts").then((m) => m.descriptor),
};
