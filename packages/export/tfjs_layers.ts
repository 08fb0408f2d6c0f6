/**
 * The TensorFlow.js Layers format (`model.json` + one binary weight shard) of an inference
 * model: a Keras-style Sequential topology that stock `tf.loadLayersModel` reads. Input NHWC
 * float32 [batch, 32, 32, 3] (normalised), output the logits [batch, classes].
 *
 * @module
 */
import type { ExportMetadata } from "./metadata.ts";
import { type ArchChain, type InferenceModel, oihwToHwio, transpose2d } from "./inference_model.ts";

/** The weight shard's file name. */
export const TFJS_WEIGHTS_FILE = "group1-shard1of1.bin";

/** A tfjs Layers model directory's files. */
export interface TfjsArtifacts {
  /** model.json's content. */
  readonly modelJson: Record<string, unknown>;
  /** The weight shard (float32, little-endian, in manifest order). */
  readonly weights: Uint8Array;
}

/** One named weight of the shard (tfjs's layout). */
export interface WeightEntry {
  readonly name: string;
  readonly shape: number[];
  readonly data: Float32Array;
}

type LayerJson = { class_name: string; config: Record<string, unknown> };

const POOL = { pool_size: [2, 2], strides: [2, 2], padding: "valid", data_format: "channels_last" };

function convLayers(model: InferenceModel, weights: WeightEntry[]): LayerJson[] {
  const layers: LayerJson[] = [];
  let conv = 0;
  let pool = 0;
  for (const item of model.cfg) {
    if (item === "M") {
      layers.push({ class_name: "MaxPooling2D", config: { name: `pool${++pool}`, ...POOL } });
      continue;
    }
    const layer = model.convs[conv++];
    const name = `conv${conv}`;
    const folded = layer.bn === undefined;
    layers.push({
      class_name: "Conv2D",
      config: {
        name,
        filters: layer.outChannels,
        kernel_size: [3, 3],
        strides: [1, 1],
        padding: "same",
        data_format: "channels_last",
        dilation_rate: [1, 1],
        activation: folded ? "relu" : "linear",
        use_bias: layer.bias !== undefined,
        ...(conv === 1 ? { batch_input_shape: [null, 32, 32, 3], dtype: "float32" } : {}),
      },
    });
    const shape = [3, 3, layer.inChannels, layer.outChannels];
    weights.push({
      name: `${name}/kernel`,
      shape,
      data: oihwToHwio(layer.weight, layer.inChannels, layer.outChannels),
    });
    if (layer.bias) {
      weights.push({ name: `${name}/bias`, shape: [layer.outChannels], data: layer.bias });
    }
    if (layer.bn) {
      const bn = `bn${conv}`;
      layers.push({
        class_name: "BatchNormalization",
        config: { name: bn, axis: -1, epsilon: layer.bn.eps, center: true, scale: true },
      });
      const c = [layer.outChannels];
      weights.push({ name: `${bn}/gamma`, shape: c, data: layer.bn.gamma });
      weights.push({ name: `${bn}/beta`, shape: c, data: layer.bn.beta });
      weights.push({ name: `${bn}/moving_mean`, shape: c, data: layer.bn.mean });
      weights.push({ name: `${bn}/moving_variance`, shape: c, data: layer.bn.variance });
      layers.push({
        class_name: "Activation",
        config: { name: `relu${conv}`, activation: "relu" },
      });
    }
  }
  return layers;
}

/**
 * model.json (a Sequential model named `chain.name`) and the weight shard of `chain`'s model,
 * with `metadata` as its `userDefinedMetadata`.
 */
export function tfjsLayersArtifacts(chain: ArchChain, metadata: ExportMetadata): TfjsArtifacts {
  const { model } = chain;
  const weights: WeightEntry[] = [];
  const layers = convLayers(model, weights);
  const last = model.convs[model.convs.length - 1].outChannels;
  layers.push(
    { class_name: "AveragePooling2D", config: { name: "avgpool", ...POOL } },
    { class_name: "Flatten", config: { name: "flatten" } },
    {
      class_name: "Dense",
      config: { name: "classifier", units: model.numClasses, activation: "linear", use_bias: true },
    },
  );
  weights.push(
    {
      name: "classifier/kernel",
      shape: [last, model.numClasses],
      data: transpose2d(model.head.weight, model.numClasses, last),
    },
    { name: "classifier/bias", shape: [model.numClasses], data: model.head.bias },
  );
  const modelJson = {
    format: "layers-model",
    generatedBy: "slimming export",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: { name: chain.name, layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: weightsManifest(weights),
    userDefinedMetadata: metadata,
  };
  return { modelJson, weights: packWeights(weights) };
}

/** The weights manifest (one shard, {@linkcode TFJS_WEIGHTS_FILE}) listing `weights` in order. */
export function weightsManifest(weights: readonly WeightEntry[]): Array<Record<string, unknown>> {
  return [{
    paths: [TFJS_WEIGHTS_FILE],
    weights: weights.map(({ name, shape }) => ({ name, shape, dtype: "float32" })),
  }];
}

/** The weight shard: every entry's values in order, as little-endian float32. */
export function packWeights(weights: readonly WeightEntry[]): Uint8Array {
  const total = weights.reduce((n, w) => n + w.data.length, 0);
  const shard = new Float32Array(total);
  let at = 0;
  for (const w of weights) {
    shard.set(w.data, at);
    at += w.data.length;
  }
  return littleEndianBytes(shard);
}

/** The bytes of `data` as little-endian float32 (the tfjs and ONNX on-disk order). */
export function littleEndianBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
