/**
 * The TensorFlow.js Layers format of an {@linkcode ExportGraph}: a functional (Keras `Model`)
 * topology of stock layers only, so stock `tf.loadLayersModel` reads it with no custom layer.
 * A channel selection is a bias-free, non-trainable 1x1 Conv2D whose kernel is 1 where an
 * output channel takes an input channel and 0 elsewhere (exact: every sum adds one value and
 * zeros); a conv with a padding "same" does not give (stride 2) is ZeroPadding2D + "valid".
 * Input NHWC float32 [batch, 32, 32, 3] (normalised), output the logits [batch, classes].
 *
 * @module
 */
import { type ExportGraph, GRAPH_INPUT, type GraphNode } from "./graph.ts";
import { oihwToHwio, transpose2d } from "./inference_model.ts";
import type { ExportMetadata } from "./metadata.ts";
import {
  packWeights,
  type TfjsArtifacts,
  type WeightEntry,
  weightsManifest,
} from "./tfjs_layers.ts";

type InboundNode = [string, number, number, Record<string, never>];

interface FunctionalLayer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: InboundNode[][];
}

/** Collects the layers (each reading the named outputs of earlier ones) and their weights. */
class LayerList {
  readonly layers: FunctionalLayer[] = [{
    class_name: "InputLayer",
    name: GRAPH_INPUT,
    config: {
      batch_input_shape: [null, 32, 32, 3],
      dtype: "float32",
      sparse: false,
      name: GRAPH_INPUT,
    },
    inbound_nodes: [],
  }];
  readonly weights: WeightEntry[] = [];

  add(className: string, name: string, inputs: readonly string[], config = {}): string {
    this.layers.push({
      class_name: className,
      name,
      config: { name, ...config },
      inbound_nodes: [inputs.map((i): InboundNode => [i, 0, 0, {}])],
    });
    return name;
  }

  weight(name: string, shape: number[], data: Float32Array): void {
    this.weights.push({ name, shape, data });
  }
}

function conv2d(
  list: LayerList,
  name: string,
  input: string,
  shape: { filters: number; kernel: number; stride: number; padding: "same" | "valid" },
  config: Record<string, unknown> = {},
): string {
  return list.add("Conv2D", name, [input], {
    filters: shape.filters,
    kernel_size: [shape.kernel, shape.kernel],
    strides: [shape.stride, shape.stride],
    padding: shape.padding,
    data_format: "channels_last",
    dilation_rate: [1, 1],
    activation: "linear",
    ...config,
  });
}

function addLayers(list: LayerList, node: GraphNode): string {
  switch (node.op) {
    case "conv": {
      const { name, kernel, pad, stride } = node;
      // "same" pads symmetrically only at stride 1 (odd kernel); else pad explicitly first.
      const same = pad > 0 && stride === 1 && pad === (kernel - 1) / 2;
      const input = pad > 0 && !same
        ? list.add("ZeroPadding2D", `${name}.pad`, [node.input], {
          padding: [[pad, pad], [pad, pad]],
          data_format: "channels_last",
        })
        : node.input;
      conv2d(
        list,
        name,
        input,
        { filters: node.outChannels, kernel, stride, padding: same ? "same" : "valid" },
        { use_bias: node.bias !== undefined },
      );
      list.weight(
        `${name}/kernel`,
        [kernel, kernel, node.inChannels, node.outChannels],
        oihwToHwio(node.weight, node.inChannels, node.outChannels, kernel),
      );
      if (node.bias) list.weight(`${name}/bias`, [node.outChannels], node.bias);
      return name;
    }
    case "batchNorm": {
      const { name, bn } = node;
      list.add("BatchNormalization", name, [node.input], {
        axis: -1,
        epsilon: bn.eps,
        center: true,
        scale: true,
      });
      const c = [node.channels];
      list.weight(`${name}/gamma`, c, bn.gamma);
      list.weight(`${name}/beta`, c, bn.beta);
      list.weight(`${name}/moving_mean`, c, bn.mean);
      list.weight(`${name}/moving_variance`, c, bn.variance);
      return name;
    }
    case "relu":
      return list.add("Activation", node.name, [node.input], { activation: "relu" });
    case "select": {
      const { name, width, channels } = node;
      conv2d(list, name, node.input, {
        filters: channels.length,
        kernel: 1,
        stride: 1,
        padding: "valid",
      }, { use_bias: false, trainable: false });
      // HWIO [1, 1, width, kept]: input channel c feeds output j when c = channels[j].
      const kernel = new Float32Array(width * channels.length);
      channels.forEach((c, j) => (kernel[c * channels.length + j] = 1));
      list.weight(`${name}/kernel`, [1, 1, width, channels.length], kernel);
      return name;
    }
    case "add":
      return list.add("Add", node.name, node.inputs);
    case "concat":
      return list.add("Concatenate", node.name, node.inputs, { axis: -1 });
    case "avgPool":
      return list.add("AveragePooling2D", node.name, [node.input], {
        pool_size: [node.size, node.size],
        strides: [node.size, node.size],
        padding: "valid",
        data_format: "channels_last",
      });
    case "linear": {
      const { name } = node;
      const flat = list.add("Flatten", `${name}.flatten`, [node.input]);
      list.add("Dense", name, [flat], {
        units: node.outFeatures,
        activation: "linear",
        use_bias: true,
      });
      list.weight(
        `${name}/kernel`,
        [node.inFeatures, node.outFeatures],
        transpose2d(node.weight, node.outFeatures, node.inFeatures),
      );
      list.weight(`${name}/bias`, [node.outFeatures], node.bias);
      return name;
    }
  }
}

/** model.json and the weight shard of `graph`, with `metadata` as its `userDefinedMetadata`. */
export function tfjsGraphArtifacts(graph: ExportGraph, metadata: ExportMetadata): TfjsArtifacts {
  const list = new LayerList();
  for (const node of graph.nodes) addLayers(list, node);
  const modelJson = {
    format: "layers-model",
    generatedBy: "slimming export",
    convertedBy: null,
    modelTopology: {
      class_name: "Model",
      config: {
        name: graph.name,
        layers: list.layers,
        input_layers: [[GRAPH_INPUT, 0, 0]],
        output_layers: [[graph.output, 0, 0]],
      },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: weightsManifest(list.weights),
    userDefinedMetadata: metadata,
  };
  return { modelJson, weights: packWeights(list.weights) };
}
