/**
 * A small dataflow graph of plain arrays, the form of a model with branches (residual adds,
 * concatenations, channel selections) between a state_dict and the ONNX and tfjs writers.
 * Channel counts and weights as in PyTorch (OIHW convs, [out, in] linear); every node has
 * one output, named by the node. No tensors, no files.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import { UsageError } from "@slimming/tensor-utils/core";
import type { Cfg } from "@slimming/vgg/cfg";
import type { BatchNormArrays } from "./inference_model.ts";

/** The name of the graph's input: normalised images, 3 channels, 32 x 32. */
export const GRAPH_INPUT = "input";

/** The default BN epsilon (PyTorch's and the training code's). */
export const BN_EPS = 1e-5;

/** A convolution without groups or dilation: OIHW weight, optional bias, symmetric zero padding. */
export interface ConvNode {
  readonly op: "conv";
  readonly name: string;
  readonly input: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  /** [out, in, kernel, kernel]. */
  readonly weight: Float32Array;
  readonly bias?: Float32Array;
}

/** Eval-mode batch norm over the channels of its input. */
export interface BatchNormNode {
  readonly op: "batchNorm";
  readonly name: string;
  readonly input: string;
  readonly channels: number;
  readonly bn: BatchNormArrays;
}

/** Elementwise max(x, 0). */
export interface ReluNode {
  readonly op: "relu";
  readonly name: string;
  readonly input: string;
}

/** Channel selection: the `channels` (ascending) of an input `width` channels wide. */
export interface SelectNode {
  readonly op: "select";
  readonly name: string;
  readonly input: string;
  readonly width: number;
  readonly channels: readonly number[];
}

/** Elementwise sum of two inputs of one shape (a residual connection). */
export interface AddNode {
  readonly op: "add";
  readonly name: string;
  readonly inputs: readonly [string, string];
}

/** Concatenation of the inputs along the channels, in order. */
export interface ConcatNode {
  readonly op: "concat";
  readonly name: string;
  readonly inputs: readonly string[];
}

/** Average pooling, `size` x `size` windows with stride `size`, no padding. */
export interface AvgPoolNode {
  readonly op: "avgPool";
  readonly name: string;
  readonly input: string;
  readonly size: number;
}

/** A linear layer on the flattened input (its spatial size must be 1 x 1). */
export interface LinearNode {
  readonly op: "linear";
  readonly name: string;
  readonly input: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [out, in]. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/** Any node. */
export type GraphNode =
  | ConvNode
  | BatchNormNode
  | ReluNode
  | SelectNode
  | AddNode
  | ConcatNode
  | AvgPoolNode
  | LinearNode;

/** A whole model: nodes in an order where every input comes first; `output` gives the logits. */
export interface ExportGraph {
  /** A short name ("resnet", "densenet"). */
  readonly name: string;
  /** One line describing the model (the ONNX doc string). */
  readonly title: string;
  readonly nodes: readonly GraphNode[];
  readonly output: string;
  readonly numClasses: number;
}

/** The tensors a node reads. */
export function nodeInputs(node: GraphNode): readonly string[] {
  return "inputs" in node ? node.inputs : [node.input];
}

/** Which BN, selection and ReLU names {@linkcode GraphAssembler.bnSelectRelu} gives its nodes. */
export interface BnSelectReluNames {
  readonly bn: string;
  readonly select: string;
  readonly relu: string;
}

/**
 * Appends nodes in order and tracks every tensor's channel count, checking each weight's
 * size against the channels it meets (a RangeError naming the node otherwise).
 */
export class GraphAssembler {
  readonly nodes: GraphNode[] = [];
  readonly #channels = new Map<string, number>([[GRAPH_INPUT, 3]]);

  /** Channels of the tensor `name`. */
  channelsOf(name: string): number {
    const c = this.#channels.get(name);
    if (c === undefined) throw new RangeError(`graph: no tensor ${name}`);
    return c;
  }

  #push(node: GraphNode, channels: number): string {
    if (this.#channels.has(node.name)) throw new RangeError(`graph: ${node.name} twice`);
    this.nodes.push(node);
    this.#channels.set(node.name, channels);
    return node.name;
  }

  /** A conv of `input` (OIHW `weight`, no bias) to `outChannels`. */
  conv(
    name: string,
    input: string,
    weight: Float32Array,
    shape: { outChannels: number; kernel: number; stride: number; pad: number },
  ): string {
    const inChannels = this.channelsOf(input);
    const expected = shape.outChannels * inChannels * shape.kernel * shape.kernel;
    if (weight.length !== expected) {
      throw new RangeError(`graph: ${name} has ${weight.length} weights, expected ${expected}`);
    }
    return this.#push({ op: "conv", name, input, inChannels, ...shape, weight }, shape.outChannels);
  }

  /** Eval-mode BN of `input` with `bn` (one entry per channel). */
  batchNorm(name: string, input: string, bn: BatchNormArrays): string {
    const channels = this.channelsOf(input);
    if (bn.gamma.length !== channels) {
      throw new RangeError(`graph: ${name} has ${bn.gamma.length} channels, its input ${channels}`);
    }
    return this.#push({ op: "batchNorm", name, input, channels, bn }, channels);
  }

  /** ReLU of `input`. */
  relu(name: string, input: string): string {
    return this.#push({ op: "relu", name, input }, this.channelsOf(input));
  }

  /** The `channels` of `input` (ascending, distinct, in range). */
  select(name: string, input: string, channels: readonly number[]): string {
    const width = this.channelsOf(input);
    channels.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= width || (i > 0 && c <= channels[i - 1])) {
        throw new RangeError(`graph: ${name} selects channel ${c} of ${width} out of order`);
      }
    });
    return this.#push(
      { op: "select", name, input, width, channels: [...channels] },
      channels.length,
    );
  }

  /**
   * BN -> channel selection -> ReLU, written select -> BN of the selected channels -> ReLU
   * (the same function: BN and ReLU act per channel); no selection node when every channel
   * is kept.
   */
  bnSelectRelu(
    names: BnSelectReluNames,
    input: string,
    bn: BatchNormArrays,
    channels: readonly number[],
  ): string {
    const width = this.channelsOf(input);
    if (channels.length === width) {
      return this.relu(names.relu, this.batchNorm(names.bn, input, bn));
    }
    const picked = this.select(names.select, input, channels);
    const pick = (a: Float32Array) => Float32Array.from(channels, (c) => a[c]);
    const sub: BatchNormArrays = {
      gamma: pick(bn.gamma),
      beta: pick(bn.beta),
      mean: pick(bn.mean),
      variance: pick(bn.variance),
      eps: bn.eps,
    };
    return this.relu(names.relu, this.batchNorm(names.bn, picked, sub));
  }

  /** `a` + `b` (same channels). */
  add(name: string, a: string, b: string): string {
    const channels = this.channelsOf(a);
    if (this.channelsOf(b) !== channels) {
      throw new RangeError(`graph: ${name} adds ${channels} and ${this.channelsOf(b)} channels`);
    }
    return this.#push({ op: "add", name, inputs: [a, b] }, channels);
  }

  /** The channels of `inputs`, one after the other. */
  concat(name: string, inputs: readonly string[]): string {
    const channels = inputs.reduce((n, i) => n + this.channelsOf(i), 0);
    return this.#push({ op: "concat", name, inputs: [...inputs] }, channels);
  }

  /** `size` x `size` average pooling with stride `size`. */
  avgPool(name: string, input: string, size: number): string {
    return this.#push({ op: "avgPool", name, input, size }, this.channelsOf(input));
  }

  /** The linear layer ([out, in] `weight`) of the flattened `input`. */
  linear(name: string, input: string, weight: Float32Array, bias: Float32Array): string {
    const inFeatures = this.channelsOf(input);
    const outFeatures = bias.length;
    if (weight.length !== inFeatures * outFeatures) {
      throw new RangeError(
        `graph: ${name} has ${weight.length} weights for ${inFeatures} x ${outFeatures}`,
      );
    }
    return this.#push(
      { op: "linear", name, input, inFeatures, outFeatures, weight, bias },
      outFeatures,
    );
  }

  /** The graph whose logits are the tensor `output`. */
  graph(name: string, title: string, output: string): ExportGraph {
    return { name, title, nodes: [...this.nodes], output, numClasses: this.channelsOf(output) };
  }
}

/**
 * What model a state_dict holds, as a checkpoint's metadata says (an architecture
 * descriptor's `specOf` gives one): its `arch` tag, its cfg (VGG's list, or the flat channel
 * list of an architecture exported as a graph) and whatever else its shape needs.
 */
export interface ExportSpec {
  /** The architecture's tag. */
  readonly arch: string;
  readonly cfg: Cfg;
  readonly depth?: number;
  readonly planes?: readonly number[];
  readonly growthRate?: number;
}

/**
 * The spec fields an exported graph's metadata carries (the `arch` tag, the cfg and the
 * shape fields its architecture needs), in the order they are written.
 */
export interface ExportSpecFields {
  readonly arch: string;
  readonly depth?: number;
  readonly planes?: readonly number[];
  readonly growthRate?: number;
  readonly cfg: readonly number[];
}

/** An architecture's export graph and the spec fields its exported metadata names. */
export interface ArchExport {
  readonly graph: ExportGraph;
  readonly fields: ExportSpecFields;
}

/**
 * Builds an architecture's export graph from a spec and a state_dict (PyTorch names, OIHW):
 * what an architecture exported as a graph supplies through its descriptor (`exportGraph`).
 * A spec it cannot build is a UsageError, a state_dict that does not fit a RangeError.
 */
export type ExportGraphBuilder = (
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
) => ArchExport;

/** A graph architecture's cfg as channel counts (a UsageError for anything else). */
export function specChannels(spec: ExportSpec): number[] {
  if (!spec.cfg.every((c): c is number => typeof c === "number")) {
    throw new UsageError(`a ${spec.arch} cfg is a list of channel counts`);
  }
  return [...spec.cfg];
}

/** The spec's `key`, which the architecture's export needs (a UsageError when absent). */
export function requiredSpecField(spec: ExportSpec, key: "depth" | "growthRate"): number {
  const value = spec[key];
  if (value === undefined) throw new UsageError(`a ${spec.arch} export needs its ${key}`);
  return value;
}
