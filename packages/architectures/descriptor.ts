/**
 * What an architecture descriptor holds. Each architecture package (`@slimming/vgg`,
 * `@slimming/resnet`, `@slimming/densenet`, ...) exports one: a tfjs-free {@linkcode ArchInfo}
 * (its `info` export path: names, defaults, spec validation, counts, published numbers,
 * capabilities) whose `load()` brings in the tfjs part, an {@linkcode Architecture} (init,
 * ops, state_dict, prune adapter). Only types here: importing this module loads nothing.
 *
 * @module
 */
import type { ModelOps, NamedArray, SafetensorsFile } from "@slimming/tensor-utils";
import type { PruneReport } from "@slimming/slimming/core";
import type { ExportGraphBuilder } from "@slimming/export/graph";
import type { CfgItem } from "@slimming/vgg/cfg";
import type { ArchName } from "./info.ts";

export type { ArchName, CfgItem };

/** What a model is, without its weights: enough to build or check its parameter tree. */
export interface ModelSpec {
  /** The architecture's tag (its descriptor's `name`). */
  readonly arch: ArchName;
  /** The architecture's flat channel list (VGG: its cfg list, with `"M"` for a pool). */
  readonly cfg: CfgItem[];
  /** The depth the cfg belongs to, where the cfg alone does not say it. */
  readonly depth?: number;
  /** The growth rate, for an architecture that has one. */
  readonly growthRate?: number;
  /** The stage widths, for an architecture whose widths are not in its cfg. */
  readonly planes?: readonly number[];
  /** The width multiplier a new model is built at, where the spec needs it to build one. */
  readonly width?: number;
}

/** What `train` and `lab` say about the model to build (`--depth`, `--width`, ...). */
export interface SpecRequest {
  readonly depth?: number;
  readonly width: number;
  /** An explicit channel list (`--cfg`; only where `options.cfg` says so). */
  readonly cfg?: CfgItem[];
  /** The growth rate (`--growth-rate`; only where `options.growthRate` says so). */
  readonly growthRate?: number;
}

/** What an architecture supports beyond training and a one-shot prune at a global ratio. */
export interface Capabilities {
  /** `--round-to N`: every pruned layer's kept count rounded up to a multiple of N. */
  readonly roundTo: boolean;
  /** `--passes K`: multi-pass pruning (`prune` honours `maxLayerRatio`). */
  readonly multiPass: boolean;
  /** `--recalibrate N`: BN statistics re-estimated after pruning. */
  readonly recalibration: boolean;
  /** What `export` writes for it. */
  readonly exportFormats: readonly ("onnx" | "tfjs")[];
  /**
   * `bench`'s pruned-model speed-up row (the PyTorch side runs the reference's slim model
   * for it).
   */
  readonly benchPruned: boolean;
}

/** The command-line model options an architecture takes besides `--depth` and `--width`. */
export interface ModelOptions {
  /** `--cfg`: an explicit channel list, parsed from its text (absent: not taken). */
  readonly cfg?: (text: string) => CfgItem[];
  /** `--growth-rate`. */
  readonly growthRate: boolean;
}

/** The fields of a record (lab.json, config.json) that name a network. */
export interface NetworkFields {
  readonly depth?: number;
  readonly growthRate?: number;
}

/** A published result a lab's numbers are set beside (accuracies in %). */
export interface PublishedRow {
  /** The row's label in the report's table, e.g. "paper, 70% pruned". */
  readonly label: string;
  /**
   * Who published it, the label of its mark on the pruning curve: "paper", "reference code",
   * or a later method's name (e.g. "DepGraph").
   */
  readonly source: string;
  /** Share of the channels pruned (absent: not given; marked by its FLOPs alone). */
  readonly ratio?: number;
  readonly baselineAcc: number;
  /** Before fine-tuning, where given. */
  readonly slimAcc?: number;
  readonly prunedAcc: number;
  readonly paramsBefore?: number;
  readonly paramsAfter?: number;
  readonly flopsBefore?: number;
  readonly flopsAfter?: number;
}

/** The published results for one data set, and the sentence that introduces them. */
export interface PublishedComparison {
  /** What the rows are (the report appends how to read the table). */
  readonly intro: string;
  readonly rows: readonly PublishedRow[];
}

/** The lab-profile settings an architecture changes (the lab's profile type has them all). */
export interface LabChanges {
  readonly depth?: number;
  readonly width?: number;
  readonly epochs?: number;
  readonly finetuneEpochs?: number;
  readonly subset?: number;
  readonly lambdas?: readonly number[];
  readonly ratios?: readonly number[];
}

/**
 * The tfjs-free part of a descriptor: everything the run format, the report and argument
 * checking need. `P` is the architecture's parameter tree (a type only).
 */
export interface ArchInfo<N extends string = string, P = unknown> {
  /** The `arch` tag checkpoints, records and parameter trees carry; `--arch`'s value. */
  readonly name: N;
  /** Display name, e.g. "VGG", "pre-activation ResNet". */
  readonly title: string;
  /** A note for `--arch`'s help, e.g. "pre-activation, bottleneck". */
  readonly note?: string;
  /** Whether the cfg alone says the depth (then a spec carries none). */
  readonly cfgHasDepth: boolean;
  /** The depth a new model has without `--depth`. */
  readonly defaultDepth: number;
  /** The depths it builds, for `--depth`'s help, e.g. "11, 13, 16 or 19", "9n+2". */
  readonly depths: string;
  /**
   * The reference's pruning script, e.g. "vggprune.py", which the report names ("vggprune.py's
   * slim model"); for a network the reference has none for, the module of this lab's prune
   * (then {@linkcode ArchInfo.noReferenceScript} says so).
   */
  readonly referenceScript: string;
  /**
   * Set where the reference has no pruning script for this network: how the report says the
   * slim model is built instead of "exactly as the reference's <script> builds it".
   */
  readonly noReferenceScript?: string;
  /** The network the paper (or the reference) trains: its depth, growth rate. */
  readonly paperNetwork: NetworkFields;
  /**
   * The BN scaling factors its sparsity term covers, as the report says them (absent: "all BN
   * scaling factors").
   */
  readonly sparsityScope?: string;
  /** The command-line model options it takes. */
  readonly options: ModelOptions;
  readonly capabilities: Capabilities;
  /** "VGG-19", "pre-activation ResNet-164", "DenseNet-40 (growth rate 12)", or the bare kind. */
  modelName(fields: NetworkFields): string;
  /** The spec of a new model (a UsageError for a depth, width or cfg it cannot build). */
  specFor(request: SpecRequest): ModelSpec;
  /** One name per BN layer, in layer order, as the report prints them. */
  layerNames(spec: ModelSpec): string[];
  countParams(spec: ModelSpec, numClasses: number): number;
  countFlops(spec: ModelSpec, numClasses: number): number;
  /** Published results by data set (`cifar10`, `cifar100`). */
  readonly published: Readonly<Partial<Record<string, PublishedComparison>>>;
  /**
   * The module of `tests/tools/` holding its PyTorch twin, which `bench` times beside it (a
   * `bench_model(request, classes)` function builds it from bench's request: `cfg`, `depth`,
   * `planes`, `growthRate`); absent: bench's own PyTorch VGG.
   */
  readonly torchTwin?: string;
  /** The reference's settings for it, as lab-profile changes (absent: the profile's own). */
  readonly referenceLab?: LabChanges;
  /** The quick lab profile's changes for it (absent: the profile's own). */
  readonly quickLab?: LabChanges;
  /** The tfjs part (loads tfjs). */
  load(): Promise<Architecture<P>>;
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
   * `capabilities.roundTo` says so.
   */
  readonly roundTo?: number;
  /**
   * A pass of a multi-pass prune: no layer loses more than this fraction of its channels
   * (only where `capabilities.multiPass` says so; not together with `roundTo` > 1).
   */
  readonly maxLayerRatio?: number;
}

/**
 * A whole descriptor: its tfjs-free part and everything the commands do with a parameter
 * tree `P`.
 */
export interface Architecture<P> extends ArchInfo<ArchName, P> {
  readonly ops: ModelOps<P>;
  /** A new model with the reference's initialisation. */
  init(spec: ModelSpec, options: { seed: number; numClasses: number }): P;
  /** The spec of a model. */
  specOf(params: P): ModelSpec;
  /** Classes of a model's head. */
  numClasses(params: P): number;
  /** The reference's state_dict (PyTorch names and layouts). */
  toStateDict(params: P): Promise<Record<string, NamedArray>>;
  /** Safetensors metadata naming the model's spec and its `arch` tag, plus `extra`. */
  metadata(params: P, extra: Record<string, string>): Record<string, string>;
  /** The spec a checkpoint's metadata names (a CheckpointError when it names none). */
  specFromMetadata(metadata: Record<string, string>, source: string): ModelSpec;
  /** A model from a checkpoint file (a one-line CheckpointError when it does not fit). */
  fromStateDict(file: SafetensorsFile, source: string): P;
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
  /**
   * Its export graph from a checkpoint's spec and state_dict, for `export` (plain arrays;
   * written with `@slimming/export/graph`). Absent: VGG's chain of layers, which the export
   * package writes itself; any other architecture that declares an export format has one.
   */
  readonly exportGraph?: ExportGraphBuilder;
}
