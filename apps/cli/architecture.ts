/**
 * The architectures the command line trains and prunes, behind one interface: how to build,
 * run, store, count and prune each (VGG; pre-activation ResNet and DenseNet register here
 * too). Every command finds a model's architecture from its parameter tree or its
 * checkpoint's metadata, so only this module names them.
 *
 * @module
 */
import {
  type ModelOps,
  type NamedArray,
  type SafetensorsFile,
  UsageError,
} from "@slimming/tensor-utils";
import {
  cfgForDepth,
  cfgFromMetadata,
  type CfgItem,
  checkpointMetadata,
  convLayerNames,
  countFlops,
  countParams,
  fromStateDict,
  initVgg,
  scaleCfg,
  toStateDict,
  validateCfg,
  VGG_DEPTHS,
  vggOps,
  type VggParams,
} from "@slimming/vgg";
import {
  absGammasOfLayers,
  densenetAbsGammasAsync,
  maskDensenet,
  maskParams,
  maskResnetParams,
  pruneDensenetFromAbsGammas,
  pruneLayerCappedFromAbsGammas,
  type PruneReport,
  pruneResnetFromAbsGammas,
  pruneRoundedFromAbsGammas,
  resnetLiveAbsGammas,
} from "@slimming/slimming";
import {
  countResnetFlops,
  countResnetParams,
  defaultResnetCfg,
  fromStateDict as resnetFromStateDict,
  initResnet,
  resnetBnNames,
  resnetCheckpointMetadata,
  resnetOps,
  type ResnetParams,
  type ResnetPlanes,
  resnetPlanes,
  resnetShapeFromMetadata,
  toStateDict as resnetToStateDict,
  validateResnetCfg,
  validateResnetDepth,
} from "@slimming/resnet";
import {
  countDensenetFlops,
  countDensenetParams,
  defaultDensenetCfg,
  densenetBnLabels,
  densenetGrowth,
  densenetMetadata,
  densenetOps,
  type DensenetParams,
  type DensenetSpec,
  fromStateDict as densenetFromStateDict,
  initDensenet,
  specFromMetadata as densenetSpecFromMetadata,
  toStateDict as densenetToStateDict,
  validateDensenetSpec,
} from "@slimming/densenet";

/** Names of the architectures. */
export type ArchName = "vgg" | "resnet" | "densenet";

/** What a model is, without its weights: enough to build or check its parameter tree. */
export interface ModelSpec {
  readonly arch: ArchName;
  /** VGG: the cfg list; ResNet and DenseNet: the reference's flat channel list. */
  readonly cfg: CfgItem[];
  /** ResNet and DenseNet: the depth the cfg belongs to. */
  readonly depth?: number;
  /** DenseNet: the growth rate. */
  readonly growthRate?: number;
  /** ResNet: the three stage widths (16, 32, 64 times the width multiplier). */
  readonly planes?: readonly number[];
  /** ResNet: the width multiplier a new model is built at. */
  readonly width?: number;
}

/** A pruned model of any architecture. */
export interface ArchPruneResult<P> {
  readonly params: P;
  /** Per BN layer, per channel of the given model's layer: whether it is kept. */
  readonly masks: boolean[][];
  readonly report: PruneReport;
  /** Kept channels per layer before rounding (with `roundTo` > 1). */
  readonly keptBeforeRounding?: number[];
}

/** Options of {@linkcode Architecture.prune}. */
export interface ArchPruneOptions {
  readonly minChannels: number;
  /**
   * Round kept counts up to a multiple of this (default 1: no rounding); above 1 only where
   * the architecture's `capabilities.roundTo` says so.
   */
  readonly roundTo?: number;
  /**
   * A pass of a multi-pass prune: no layer loses more than this fraction of its channels
   * (only where `capabilities.multiPass` says so; not together with `roundTo` > 1).
   */
  readonly maxLayerRatio?: number;
}

/** What an architecture's pruning supports beyond a one-shot prune at a global ratio. */
export interface PruneCapabilities {
  /** `--round-to N`: every pruned layer's kept count rounded up to a multiple of N. */
  readonly roundTo: boolean;
  /** `--passes K`: multi-pass pruning (`prune` honours `maxLayerRatio`). */
  readonly multiPass: boolean;
}

/** What `train` and `lab` say about the model to build (`--depth`, `--width`, ...). */
export interface SpecRequest {
  readonly depth?: number;
  readonly width: number;
  /** VGG: an explicit cfg list (`--cfg`). */
  readonly cfg?: CfgItem[];
  /** DenseNet: the growth rate. */
  readonly growthRate?: number;
}

/** Everything the command line does with one architecture's parameter tree `P`. */
export interface Architecture<P> {
  readonly name: ArchName;
  /** Display name, e.g. "VGG", "pre-activation ResNet". */
  readonly title: string;
  readonly defaultDepth: number;
  readonly ops: ModelOps<P>;
  /** The spec of a new model (a UsageError for a depth, width or cfg it cannot build). */
  specFor(request: SpecRequest): ModelSpec;
  /** A new model with the reference's initialisation. */
  init(spec: ModelSpec, options: { seed: number; numClasses: number }): P;
  /** The spec of a model. */
  specOf(params: P): ModelSpec;
  /** Classes of a model's head. */
  numClasses(params: P): number;
  /** The reference's state_dict (PyTorch names and layouts). */
  toStateDict(params: P): Promise<Record<string, NamedArray>>;
  /** Safetensors metadata naming the model's spec, plus `extra`. */
  metadata(params: P, extra: Record<string, string>): Record<string, string>;
  /** The spec a checkpoint's metadata names (a CheckpointError when it names none). */
  specFromMetadata(metadata: Record<string, string>, source: string): ModelSpec;
  /** A model from a checkpoint file (a one-line CheckpointError when it does not fit). */
  fromStateDict(file: SafetensorsFile, source: string): P;
  /** One name per BN layer, in layer order, as the report prints them. */
  layerNames(spec: ModelSpec): string[];
  countParams(spec: ModelSpec, numClasses: number): number;
  countFlops(spec: ModelSpec, numClasses: number): number;
  /** |gamma| of every BN layer a prune ranks, in layer order (read asynchronously). */
  absGammas(params: P): Promise<Float32Array[]>;
  /** Network Slimming's physical pruning at a global ratio from |gamma| already read. */
  prune(
    params: P,
    abs: readonly Float32Array[],
    ratio: number,
    options: ArchPruneOptions,
  ): ArchPruneResult<P>;
  /** The masked model: pruned channels' BN gamma and beta zeroed, shapes unchanged. */
  mask(params: P, masks: readonly (readonly boolean[])[]): P;
  /** Which of `prune`'s options beyond the global ratio and the guard it implements. */
  readonly capabilities: PruneCapabilities;
}

/** A model of any registered architecture. */
export type ModelParams = VggParams | ResnetParams | DensenetParams;

function vggSpec(request: SpecRequest): ModelSpec {
  if (request.cfg === undefined && request.depth !== undefined) {
    if (!VGG_DEPTHS.includes(request.depth)) {
      throw new UsageError(`--depth must be one of ${VGG_DEPTHS.join(", ")}, got ${request.depth}`);
    }
  }
  const base = request.cfg ?? cfgForDepth(request.depth ?? 19);
  return { arch: "vgg", cfg: [...validateCfg(scaleCfg(base, request.width))] };
}

const vgg: Architecture<VggParams> = {
  name: "vgg",
  title: "VGG",
  defaultDepth: 19,
  ops: vggOps,
  specFor: vggSpec,
  init: (spec, { seed, numClasses }) => initVgg({ cfg: spec.cfg, seed, numClasses }),
  specOf: (params) => ({ arch: "vgg", cfg: [...params.cfg] }),
  numClasses: (params) => params.classifier.weight.shape[1],
  toStateDict: (params) => toStateDict(params),
  metadata: (params, extra) => checkpointMetadata(params.cfg, extra),
  specFromMetadata: (metadata, source) => ({
    arch: "vgg",
    cfg: cfgFromMetadata(metadata, source),
  }),
  fromStateDict: (file, source) => fromStateDict(file, { source }),
  absGammas: (params) => absGammasOfLayers(params.features.map((layer) => layer.bn)),
  layerNames: (spec) => convLayerNames(spec.cfg),
  countParams: (spec, numClasses) => countParams(spec.cfg, numClasses),
  countFlops: (spec, numClasses) => countFlops(spec.cfg, numClasses),
  prune: (params, abs, ratio, { minChannels, roundTo = 1, maxLayerRatio }) => {
    if (maxLayerRatio === undefined) {
      return pruneRoundedFromAbsGammas(params, abs, ratio, { minChannels, roundTo });
    }
    if (roundTo > 1) throw new UsageError("--round-to works with one pass only");
    return pruneLayerCappedFromAbsGammas(params, abs, ratio, { minChannels, maxLayerRatio });
  },
  mask: maskParams,
  capabilities: { roundTo: true, multiPass: true },
};

function densenetSpecOf(spec: ModelSpec): DensenetSpec {
  return { depth: spec.depth ?? 40, growthRate: spec.growthRate ?? 12, cfg: spec.cfg as number[] };
}

function fromDensenetSpec(spec: DensenetSpec): ModelSpec {
  return {
    arch: "densenet",
    depth: spec.depth,
    growthRate: spec.growthRate,
    cfg: [...spec.cfg],
  };
}

const densenet: Architecture<DensenetParams> = {
  name: "densenet",
  title: "DenseNet",
  defaultDepth: 40,
  ops: densenetOps,
  specFor: (request) => {
    const depth = request.depth ?? 40;
    const base = request.growthRate ?? 12;
    const cfg = defaultDensenetCfg(depth, base, request.width);
    const growthRate = densenetGrowth(base, request.width);
    return fromDensenetSpec(validateDensenetSpec({ depth, growthRate, cfg }));
  },
  init: (spec, { seed, numClasses }) => {
    const { depth, growthRate, cfg } = densenetSpecOf(spec);
    return initDensenet({ depth, growthRate, cfg, numClasses, seed });
  },
  specOf: (params) => fromDensenetSpec(params),
  numClasses: (params) => params.fc.weight.shape[1],
  toStateDict: (params) => densenetToStateDict(params),
  metadata: (params, extra) => densenetMetadata(params, extra),
  specFromMetadata: (metadata, source) =>
    fromDensenetSpec(densenetSpecFromMetadata(metadata, source)),
  fromStateDict: (file, source) => densenetFromStateDict(file, { source }),
  absGammas: densenetAbsGammasAsync,
  layerNames: (spec) => densenetBnLabels(spec.depth ?? 40),
  countParams: (spec, numClasses) => countDensenetParams(densenetSpecOf(spec), numClasses),
  countFlops: (spec, numClasses) => countDensenetFlops(densenetSpecOf(spec), numClasses),
  prune: (params, abs, ratio, options) => {
    const { report, ...rest } = pruneDensenetFromAbsGammas(params, abs, ratio, options);
    return { ...rest, report: report as PruneReport };
  },
  mask: maskDensenet,
  capabilities: { roundTo: true, multiPass: true },
};

function resnetShape(spec: ModelSpec): { depth: number; planes: ResnetPlanes; cfg: number[] } {
  const planes = (spec.planes ?? resnetPlanes(spec.width ?? 1)) as ResnetPlanes;
  return { depth: spec.depth ?? 164, planes, cfg: spec.cfg as number[] };
}

function fromResnetShape(
  shape: { depth: number; planes: readonly number[]; cfg: readonly number[] },
): ModelSpec {
  return { arch: "resnet", depth: shape.depth, planes: [...shape.planes], cfg: [...shape.cfg] };
}

const resnet: Architecture<ResnetParams> = {
  name: "resnet",
  title: "pre-activation ResNet",
  defaultDepth: 164,
  ops: resnetOps,
  specFor: (request) => {
    const depth = validateResnetDepth(request.depth ?? 164);
    const planes = resnetPlanes(request.width);
    const cfg = validateResnetCfg(defaultResnetCfg(depth, request.width), depth, planes);
    return { ...fromResnetShape({ depth, planes, cfg }), width: request.width };
  },
  init: (spec, { seed, numClasses }) => {
    const { depth, cfg } = resnetShape(spec);
    return initResnet({ depth, cfg, width: spec.width ?? 1, numClasses, seed });
  },
  specOf: (params) => fromResnetShape(params),
  numClasses: (params) => params.fc.weight.shape[1],
  toStateDict: (params) => resnetToStateDict(params),
  metadata: (params, extra) => resnetCheckpointMetadata(params, extra),
  specFromMetadata: (metadata, source) =>
    fromResnetShape(resnetShapeFromMetadata(metadata, source)),
  fromStateDict: (file, source) => resnetFromStateDict(file, { source }),
  absGammas: resnetLiveAbsGammas,
  layerNames: (spec) => resnetBnNames(spec.depth ?? 164),
  countParams: (spec, numClasses) => {
    const { depth, planes, cfg } = resnetShape(spec);
    return countResnetParams(cfg, depth, numClasses, planes);
  },
  countFlops: (spec, numClasses) => {
    const { depth, planes, cfg } = resnetShape(spec);
    return countResnetFlops(cfg, depth, numClasses, planes);
  },
  prune: (params, abs, ratio, options) => pruneResnetFromAbsGammas(params, abs, ratio, options),
  mask: maskResnetParams,
  capabilities: { roundTo: true, multiPass: true },
};

const ARCHITECTURES: Readonly<Record<string, Architecture<ModelParams>>> = {
  vgg,
  resnet,
  densenet,
} as unknown as Record<string, Architecture<ModelParams>>;

/** The architecture names `--arch` accepts. */
export const ARCH_NAMES: readonly ArchName[] = Object.keys(ARCHITECTURES) as ArchName[];

/** The architecture called `name` (a UsageError naming the choices otherwise). */
export function architecture(name: string): Architecture<ModelParams> {
  const found = ARCHITECTURES[name];
  if (!found) {
    throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(", ")}, got "${name}"`);
  }
  return found;
}

/** The architecture of a parameter tree, told apart by its fields. */
export function architectureOf(params: ModelParams): Architecture<ModelParams> {
  if ("dense" in params) return ARCHITECTURES.densenet;
  if ("blocks" in params) return ARCHITECTURES.resnet;
  return ARCHITECTURES.vgg;
}

/** The architecture a checkpoint's metadata names (no `arch`: VGG, as older runs wrote). */
export function architectureOfMetadata(
  metadata: Record<string, string>,
): Architecture<ModelParams> {
  return architecture(metadata.arch ?? "vgg");
}

/** A UsageError naming the option unless `arch`'s pruning implements `capability`. */
export function requirePruneCapability(
  arch: Architecture<ModelParams>,
  capability: keyof PruneCapabilities,
): void {
  if (arch.capabilities[capability]) return;
  const option = capability === "roundTo" ? "--round-to" : "--passes (multi-pass pruning)";
  throw new UsageError(`${option} is not implemented for the ${arch.title}`);
}

/** Whether two specs describe the same model shape. */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return a.arch === b.arch && JSON.stringify(a.cfg) === JSON.stringify(b.cfg) &&
    (a.depth ?? null) === (b.depth ?? null) && (a.growthRate ?? null) === (b.growthRate ?? null) &&
    (a.planes === undefined || b.planes === undefined ||
      JSON.stringify(a.planes) === JSON.stringify(b.planes));
}

/** Whether a model is a VGG (the architecture export supports). */
export function isVgg(params: ModelParams): params is VggParams {
  return architectureOf(params).name === "vgg";
}
