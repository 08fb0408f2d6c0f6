/**
 * The ONNX form (opset 13) of a layer chain, encoded with `onnx-proto` (protobufjs code
 * generated from the official onnx.proto). Input "input" float32 NCHW [batch, 3, 32, 32]
 * (normalised), output "logits" [batch, classes]; the batch dimension is symbolic.
 *
 * @module
 */
import type { onnx as OnnxTypes } from "onnx-proto";
import { type ExportMetadata, metadataEntries } from "./metadata.ts";
import type { ArchChain, InferenceModel } from "./inference_model.ts";
import { float, GraphBuilder, int, ints, onnx, tensorValue } from "./onnx_builder.ts";

/** The ONNX operator set the graph uses. */
export const ONNX_OPSET = 13;
/** The IR version written (ONNX 1.10+; onnxruntime 1.10+ reads it). */
export const ONNX_IR_VERSION = 8;

function addFeatures(g: GraphBuilder, model: InferenceModel, input: string): string {
  let h = input;
  let conv = 0;
  let pool = 0;
  for (const item of model.cfg) {
    if (item === "M") {
      h = g.op("MaxPool", `pool${++pool}`, [h], [
        ints("kernel_shape", [2, 2]),
        ints("strides", [2, 2]),
      ]);
      continue;
    }
    const layer = model.convs[conv++];
    const name = `conv${conv}`;
    const w = g.constant(
      `${name}.weight`,
      [layer.outChannels, layer.inChannels, 3, 3],
      layer.weight,
    );
    const inputs = layer.bias
      ? [h, w, g.constant(`${name}.bias`, [layer.outChannels], layer.bias)]
      : [h, w];
    h = g.op("Conv", name, inputs, [
      ints("kernel_shape", [3, 3]),
      ints("pads", [1, 1, 1, 1]),
      ints("strides", [1, 1]),
    ]);
    if (layer.bn) {
      const c = [layer.outChannels];
      const bn = `bn${conv}`;
      h = g.op("BatchNormalization", bn, [
        h,
        g.constant(`${bn}.scale`, c, layer.bn.gamma),
        g.constant(`${bn}.bias`, c, layer.bn.beta),
        g.constant(`${bn}.mean`, c, layer.bn.mean),
        g.constant(`${bn}.var`, c, layer.bn.variance),
      ], [float("epsilon", layer.bn.eps)]);
    }
    h = g.op("Relu", `relu${conv}`, [h]);
  }
  return h;
}

/**
 * The encoded ModelProto of `chain`'s model (named and titled as `chain` says), with
 * `metadata` in its metadata_props (JSON values).
 */
export function onnxModelBytes(chain: ArchChain, metadata: ExportMetadata): Uint8Array {
  const { model } = chain;
  const g = new GraphBuilder();
  let h = addFeatures(g, model, "input");
  h = g.op("AveragePool", "avgpool", [h], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]);
  h = g.op("Flatten", "flatten", [h], [int("axis", 1)]);
  const last = model.convs[model.convs.length - 1].outChannels;
  const weight = g.constant("classifier.weight", [model.numClasses, last], model.head.weight);
  const bias = g.constant("classifier.bias", [model.numClasses], model.head.bias);
  g.nodes.push(
    onnx.NodeProto.create({
      opType: "Gemm",
      name: "classifier",
      input: [h, weight, bias],
      output: ["logits"],
      attribute: [int("transB", 1)],
    }),
  );
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: "slimming",
    producerVersion: "0.1.0",
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    docString: chain.title,
    metadataProps: metadataEntries(metadata),
    graph: {
      name: chain.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValue("input", ["batch", 3, 32, 32])],
      output: [tensorValue("logits", ["batch", model.numClasses])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** The decoded ModelProto of ONNX bytes (for checks and tools). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
