/**
 * The pre-activation ResNet's descriptor, tfjs-free part (export path
 * `@slimming/resnet/info`): its tag, names, defaults, spec validation, counts, the reference's
 * results and lab settings. `load()` brings in the tfjs part ({@linkcode ./descriptor.ts}).
 *
 * @module
 */
import type { ArchInfo, ModelSpec, SpecRequest } from "@slimming/architectures/descriptor";
import {
  defaultResnetCfg,
  RESNET_TAG,
  resnetBnNames,
  type ResnetPlanes,
  resnetPlanes,
  validateResnetCfg,
  validateResnetDepth,
} from "./cfg.ts";
import { countResnetFlops, countResnetParams } from "./counts.ts";
import type { ResnetParams } from "./params.ts";

/** The depth of a new ResNet and of the reference's (ResNet-164). */
const DEFAULT_DEPTH = 164;

/** A spec's depth, stage widths and flat cfg (defaults: ResNet-164, the reference's widths). */
export function resnetShapeOf(
  spec: ModelSpec,
): { depth: number; planes: ResnetPlanes; cfg: number[] } {
  const planes = (spec.planes ?? resnetPlanes(spec.width ?? 1)) as ResnetPlanes;
  return { depth: spec.depth ?? DEFAULT_DEPTH, planes, cfg: spec.cfg as number[] };
}

/** The spec of a ResNet's shape. */
export function resnetSpec(
  shape: { depth: number; planes: readonly number[]; cfg: readonly number[] },
): ModelSpec {
  return { arch: RESNET_TAG, depth: shape.depth, planes: [...shape.planes], cfg: [...shape.cfg] };
}

function specFor(request: SpecRequest): ModelSpec {
  const depth = validateResnetDepth(request.depth ?? DEFAULT_DEPTH);
  const planes = resnetPlanes(request.width);
  const cfg = validateResnetCfg(defaultResnetCfg(depth, request.width), depth, planes);
  return { ...resnetSpec({ depth, planes, cfg }), width: request.width };
}

/**
 * The reference implementation's README results (CIFAR-10, 160 + 160 epochs) for the
 * pre-activation ResNet-164: test accuracy in %, parameters.
 */
const CIFAR10 = {
  intro: "The reference implementation's README results for the pre-activation ResNet-164 " +
    "on CIFAR-10 (160 epochs of sparsity training with λ = 1e-5, pruned, 160 epochs of " +
    "fine-tuning) beside this lab's runs.",
  rows: [
    {
      label: "reference code, 40% pruned",
      source: "reference code",
      ratio: 0.4,
      baselineAcc: 94.75,
      prunedAcc: 95.05,
      paramsBefore: 1.71e6,
      paramsAfter: 1.45e6,
    },
    {
      label: "reference code, 60% pruned",
      source: "reference code",
      ratio: 0.6,
      baselineAcc: 94.75,
      prunedAcc: 93.81,
      paramsBefore: 1.71e6,
      paramsAfter: 1.12e6,
    },
  ],
} as const;

/** The pre-activation ResNet's descriptor, tfjs-free part. */
export const info: ArchInfo<typeof RESNET_TAG, ResnetParams> = {
  name: RESNET_TAG,
  title: "pre-activation ResNet",
  note: "pre-activation, bottleneck",
  cfgHasDepth: false,
  defaultDepth: DEFAULT_DEPTH,
  depths: "9n+2",
  referenceScript: "resprune.py",
  paperNetwork: { depth: DEFAULT_DEPTH },
  options: { growthRate: false },
  capabilities: {
    roundTo: true,
    multiPass: true,
    recalibration: true,
    exportFormats: ["tfjs", "onnx"],
    benchPruned: false,
  },
  modelName: ({ depth }) => `pre-activation ResNet${depth === undefined ? "" : `-${depth}`}`,
  specFor,
  layerNames: (spec) => resnetBnNames(spec.depth ?? DEFAULT_DEPTH),
  countParams: (spec, numClasses) => {
    const { depth, planes, cfg } = resnetShapeOf(spec);
    return countResnetParams(cfg, depth, numClasses, planes);
  },
  countFlops: (spec, numClasses) => {
    const { depth, planes, cfg } = resnetShapeOf(spec);
    return countResnetFlops(cfg, depth, numClasses, planes);
  },
  torchTwin: "preresnet_ref",
  published: { cifar10: CIFAR10 },
  // The reference's setting (its README): λ = 1e-5, pruned at 40% and 60%.
  referenceLab: { depth: DEFAULT_DEPTH, lambdas: [0, 1e-5, 1e-4], ratios: [0.4, 0.6] },
  // Small enough for the quick profile's 20-minute budget on two cores (ResNet-20 trains at
  // ~600 images/s there): about a ninth of ResNet-164's FLOPs (like VGG-19 x0.25 of
  // VGG-19's), 5 + 2 epochs, pruned at the reference's 40% and 60%. The reference's λ for
  // this network is a tenth of VGG's (1e-5): over its 160 epochs λ·Σlr ≈ 0.07. The λ pruned
  // here gives about that over the shorter run, and was measured with the quick recipe on
  // real CIFAR-10 (ResNet-20 on 20,000 images, 5 epochs; best test %, unpruned / 40% / 60%
  // recalibrated, no fine-tune): λ = 0 64.81 / 54.05 / 28.64; 5e-4 62.31 / 60.20 / 29.73;
  // 1e-3 58.23 / 58.23 / 58.08; 2e-3 42.69 / 42.77 / 42.74.
  quickLab: {
    width: 1,
    epochs: 5,
    finetuneEpochs: 2,
    ratios: [0.4, 0.6],
    depth: 20,
    subset: 20000,
    lambdas: [0, 5e-4, 1e-3],
  },
  load: () => import("./descriptor.ts").then((m) => m.descriptor),
};
