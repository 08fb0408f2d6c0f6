/**
 * The DenseNet's descriptor, tfjs-free part (export path `@slimming/densenet/info`): its tag,
 * names, defaults, spec validation, counts, the reference's results and lab settings.
 * `load()` brings in the tfjs part ({@linkcode ./descriptor.ts}).
 *
 * @module
 */
import type { ArchInfo, ModelSpec, SpecRequest } from "@slimming/architectures/descriptor";
import {
  defaultDensenetCfg,
  DENSENET_TAG,
  densenetBnLabels,
  densenetGrowth,
  type DensenetSpec,
  validateDensenetSpec,
} from "./cfg.ts";
import { countDensenetFlops, countDensenetParams } from "./counts.ts";
import type { DensenetParams } from "./params.ts";

/** The depth of a new DenseNet and of the reference's (DenseNet-40). */
const DEFAULT_DEPTH = 40;
/** The growth rate of a new DenseNet and of the reference's. */
const DEFAULT_GROWTH_RATE = 12;

/** A spec as the DenseNet's own (defaults: DenseNet-40, growth rate 12). */
export function densenetSpecOf(spec: ModelSpec): DensenetSpec {
  return {
    depth: spec.depth ?? DEFAULT_DEPTH,
    growthRate: spec.growthRate ?? DEFAULT_GROWTH_RATE,
    cfg: spec.cfg as number[],
  };
}

/** The spec of a DenseNet's own. */
export function densenetModelSpec(spec: DensenetSpec): ModelSpec {
  return {
    arch: DENSENET_TAG,
    depth: spec.depth,
    growthRate: spec.growthRate,
    cfg: [...spec.cfg],
  };
}

function specFor(request: SpecRequest): ModelSpec {
  const depth = request.depth ?? DEFAULT_DEPTH;
  const base = request.growthRate ?? DEFAULT_GROWTH_RATE;
  const cfg = defaultDensenetCfg(depth, base, request.width);
  const growthRate = densenetGrowth(base, request.width);
  return densenetModelSpec(validateDensenetSpec({ depth, growthRate, cfg }));
}

/**
 * The reference implementation's README results (CIFAR-10, 160 + 160 epochs) for
 * DenseNet-40 (growth rate 12): test accuracy in %, parameters.
 */
const CIFAR10 = {
  intro: "The reference implementation's README results for the DenseNet-40 (growth rate 12) " +
    "on CIFAR-10 (160 epochs of sparsity training with λ = 1e-5, pruned, 160 epochs of " +
    "fine-tuning) beside this lab's runs.",
  rows: [
    {
      label: "reference code, 40% pruned",
      source: "reference code",
      ratio: 0.4,
      baselineAcc: 94.11,
      prunedAcc: 94.32,
      paramsBefore: 1.07e6,
      paramsAfter: 0.69e6,
    },
    {
      label: "reference code, 60% pruned",
      source: "reference code",
      ratio: 0.6,
      baselineAcc: 94.11,
      prunedAcc: 94.22,
      paramsBefore: 1.07e6,
      paramsAfter: 0.49e6,
    },
  ],
} as const;

/** The DenseNet's descriptor, tfjs-free part. */
export const info: ArchInfo<typeof DENSENET_TAG, DensenetParams> = {
  name: DENSENET_TAG,
  title: "DenseNet",
  cfgHasDepth: false,
  defaultDepth: DEFAULT_DEPTH,
  depths: "3n+4",
  referenceScript: "denseprune.py",
  paperNetwork: { depth: DEFAULT_DEPTH, growthRate: DEFAULT_GROWTH_RATE },
  options: { growthRate: true },
  capabilities: {
    roundTo: true,
    multiPass: true,
    recalibration: true,
    exportFormats: ["tfjs", "onnx"],
    benchPruned: false,
  },
  modelName: ({ depth, growthRate }) =>
    `DenseNet${depth === undefined ? "" : `-${depth}`}` +
    (growthRate === undefined ? "" : ` (growth rate ${growthRate})`),
  specFor,
  layerNames: (spec) => densenetBnLabels(spec.depth ?? DEFAULT_DEPTH),
  countParams: (spec, numClasses) => countDensenetParams(densenetSpecOf(spec), numClasses),
  countFlops: (spec, numClasses) => countDensenetFlops(densenetSpecOf(spec), numClasses),
  torchTwin: "densenet_ref",
  published: { cifar10: CIFAR10 },
  // The reference's setting (its README): λ = 1e-5, pruned at 40% and 60%.
  referenceLab: { depth: DEFAULT_DEPTH, lambdas: [0, 1e-5, 1e-4], ratios: [0.4, 0.6] },
  // Small enough for the quick profile's 20-minute budget on two cores (DenseNet-16 trains at
  // ~450 images/s there): about a ninth of DenseNet-40's FLOPs, 5 + 2 epochs, pruned at the
  // reference's 40% and 60%, λ a tenth of VGG's as in the reference; measured with the quick
  // recipe on real CIFAR-10 (DenseNet-16 on 10,000 images, 5 epochs; best test %, unpruned /
  // 40% / 60% recalibrated, no fine-tune): λ = 0 57.69 / 40.67 / 31.62; 1.5e-3 55.41 / 55.27
  // / 54.74.
  quickLab: {
    width: 1,
    epochs: 5,
    finetuneEpochs: 2,
    ratios: [0.4, 0.6],
    depth: 16,
    subset: 10000,
    lambdas: [0, 5e-4, 1.5e-3],
  },
  load: () => import("./descriptor.ts").then((m) => m.descriptor),
};
