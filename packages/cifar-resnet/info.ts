/**
 * The CIFAR ResNet's descriptor, tfjs-free part (export path `@slimming/cifar-resnet/info`):
 * its tag, names, defaults, spec validation, counts, the published results it is set beside
 * and its lab settings. `load()` brings in the tfjs part ({@linkcode ./descriptor.ts}).
 *
 * @module
 */
import type { ArchInfo, ModelSpec, SpecRequest } from "@slimming/architectures/descriptor";
import {
  CIFAR_RESNET_ARCH,
  CIFAR_RESNET_DEFAULT_DEPTH,
  cifarResnetBnLabels,
  type CifarResnetPlanes,
  cifarResnetPlanes,
  type CifarResnetSpec,
  defaultCifarResnetSpec,
} from "./cfg.ts";
import { countCifarResnetFlops, countCifarResnetParams } from "./counts.ts";
import type { CifarResnetParams } from "./params.ts";

/** A spec as the CIFAR ResNet's own (defaults: ResNet-56, the paper's stage widths). */
export function cifarResnetShapeOf(spec: ModelSpec): CifarResnetSpec {
  const planes = (spec.planes ?? cifarResnetPlanes(spec.width ?? 1)) as CifarResnetPlanes;
  return { depth: spec.depth ?? CIFAR_RESNET_DEFAULT_DEPTH, planes, cfg: spec.cfg as number[] };
}

/** The spec of a CIFAR ResNet's own. */
export function cifarResnetModelSpec(spec: CifarResnetSpec): ModelSpec {
  return {
    arch: CIFAR_RESNET_ARCH,
    depth: spec.depth,
    planes: [...spec.planes],
    cfg: [...spec.cfg],
  };
}

function specFor(request: SpecRequest): ModelSpec {
  const spec = defaultCifarResnetSpec(request.depth ?? CIFAR_RESNET_DEFAULT_DEPTH, request.width);
  return { ...cifarResnetModelSpec(spec), width: request.width };
}

/** FLOPs (2 x multiply-adds) of the unpruned ResNet-56 as this project counts them. */
const RESNET56_FLOPS = countCifarResnetFlops(defaultCifarResnetSpec(), 10);

/** A published row at a FLOPs reduction factor (no channel ratio given: the FLOPs panel only). */
function atFlopsReduction(
  label: string,
  source: string,
  factor: number,
  baselineAcc: number,
  prunedAcc: number,
) {
  return {
    label: `${label}, ${factor}× fewer FLOPs`,
    source,
    baselineAcc,
    prunedAcc,
    flopsBefore: RESNET56_FLOPS,
    flopsAfter: Math.round(RESNET56_FLOPS / factor),
  };
}

/**
 * Published structured pruning of ResNet-56 on CIFAR-10 (test accuracy in %). Neither the
 * paper nor the reference prunes this network, so the rows are later methods' results:
 * Torch-Pruning's DepGraph (Fang et al., CVPR 2023), ResRep (Ding et al., ICCV 2021) and
 * HRank (Lin et al., CVPR 2020; baseline 93.26%), each at the FLOPs reduction it reports,
 * applied to this project's count of the unpruned network.
 */
const CIFAR10 = {
  intro: "Neither the paper nor the reference implementation prunes this network: the rows " +
    "are later structured-pruning methods' published results for ResNet-56 on CIFAR-10 " +
    "(Torch-Pruning's DepGraph, Fang et al. 2023; ResRep, Ding et al. 2021; HRank, Lin et al. " +
    "2020), each trained and fine-tuned for hundreds of epochs, at the FLOPs reduction it " +
    "reports. They give no channel ratio, so they are marked on the FLOPs panel of the " +
    "pruning curve only, and their FLOPs are their reduction factors applied to this " +
    "project's count of the unpruned ResNet-56 (2 × multiply-adds, 1x1 projection shortcuts).",
  rows: [
    atFlopsReduction("DepGraph (Torch-Pruning)", "DepGraph", 2.13, 93.53, 93.77),
    atFlopsReduction("DepGraph (Torch-Pruning)", "DepGraph", 2.57, 93.53, 93.64),
    atFlopsReduction("ResRep", "ResRep", 2.12, 93.71, 93.71),
    atFlopsReduction("HRank", "HRank", 2, 93.26, 93.17),
  ],
};

/** The CIFAR ResNet's descriptor, tfjs-free part. */
export const info: ArchInfo<typeof CIFAR_RESNET_ARCH, CifarResnetParams> = {
  name: CIFAR_RESNET_ARCH,
  title: "CIFAR ResNet",
  note: "He et al. 2016, basic blocks",
  cfgHasDepth: false,
  defaultDepth: CIFAR_RESNET_DEFAULT_DEPTH,
  depths: "6n+2",
  referenceScript: "cifar-resnet/prune.ts",
  noReferenceScript: "by this project's cifar-resnet/prune.ts (the reference has no script " +
    "for this network: like resprune.py it ranks every pruned BN under one global threshold " +
    "and keeps the residual stream whole, and it prunes each block's inner channels, bn1)",
  paperNetwork: { depth: CIFAR_RESNET_DEFAULT_DEPTH },
  sparsityScope: "each block's bn1 scaling factors (the BNs it prunes; the residual stream's " +
    "BNs keep their width)",
  options: { growthRate: false },
  capabilities: {
    roundTo: true,
    multiPass: true,
    recalibration: true,
    exportFormats: ["onnx", "tfjs"],
    benchPruned: false,
  },
  modelName: ({ depth }) =>
    depth === undefined ? "CIFAR ResNet (basic blocks)" : `ResNet-${depth} (CIFAR, basic blocks)`,
  specFor,
  layerNames: (spec) => cifarResnetBnLabels(spec.depth ?? CIFAR_RESNET_DEFAULT_DEPTH),
  countParams: (spec, numClasses) => countCifarResnetParams(cifarResnetShapeOf(spec), numClasses),
  countFlops: (spec, numClasses) => countCifarResnetFlops(cifarResnetShapeOf(spec), numClasses),
  published: { cifar10: CIFAR10 },
  torchTwin: "cifar_resnet_ref",
  // No reference setting exists for this network: the pre-activation ResNet's (λ = 1e-5,
  // pruned at 40% and 60%) at depth 56.
  referenceLab: {
    depth: CIFAR_RESNET_DEFAULT_DEPTH,
    lambdas: [0, 1e-5, 1e-4],
    ratios: [0.4, 0.6],
  },
  // The quick ResNet-20's recipe (see @slimming/resnet's info) at depth 56: 5 + 2 epochs, λ
  // 0 / 5e-4 / 1e-3 (not probed on this network: the sparsity term here covers only the
  // blocks' bn1), pruned at 40% and 60%. ResNet-56 costs 251.5M FLOPs a forward pass, about
  // 3.7 times the quick pre-activation ResNet-20's 67.5M, and trains at ~25 images/s on two
  // cores (bench, native backend; PyTorch ~120), so the subset is halved to 10,000 images and
  // the quick profile's plan fits the epochs' images to its 20-minute budget.
  // Evaluation is the cost here (ResNet-56 infers at 209-290 img/s on two cores, 1.2-1.6x its
  // training speed, where VGG-19 x0.25 infers 5x faster than it trains): epochs are evaluated
  // on 2,000 test images and the sweeps run 20-80% on 1,000. With 10,000 training images the
  // planner asked 22:48 for the floors (3 epochs) at 173 img/s; 7,000 fit.
  quickLab: {
    depth: CIFAR_RESNET_DEFAULT_DEPTH,
    width: 1,
    epochs: 5,
    finetuneEpochs: 2,
    subset: 7000,
    testSubset: 2000,
    lambdas: [0, 5e-4, 1e-3],
    ratios: [0.4, 0.6],
    sweep: { ratios: [0.2, 0.4, 0.6, 0.8], testImages: 1000 },
  },
  load: () => import("./descriptor.ts").then((m) => m.descriptor),
};
