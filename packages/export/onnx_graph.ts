/**
 * The ONNX form (opset 13) of an {@linkcode ExportGraph}: Conv, BatchNormalization, Relu,
 * Gather on axis 1 for channel selections, Add, Concat on axis 1, AveragePool, Flatten + Gemm.
 * Input "input" float32 NCHW [batch, 3, 32, 32] (normalised), output "logits" [batch,
 * classes]; the batch dimension is symbolic.
 *
 * @module
 */
import type { ExportGraph, GraphNode } from "./graph.ts";
import { type ExportMetadata, metadataEntries } from "./metadata.ts";
import { float, GraphBuilder, int, ints, onnx, tensorValue } from "./onnx_builder.ts";
import { ONNX_IR_VERSION, ONNX_OPSET } from "./onnx_model.ts";

/** The name of the graph's output. */
const LOGITS = "logits";

function addNode(g: GraphBuilder, node: GraphNode, out: string, at: (name: string) => string) {
  switch (node.op) {
    case "conv": {
      const { name, kernel, pad, stride } = node;
      const w = g.constant(
        `${name}.weight`,
        [node.outChannels, node.inChannels, kernel, kernel],
        node.weight,
      );
      const inputs = node.bias
        ? [at(node.input), w, g.constant(`${name}.bias`, [node.outChannels], node.bias)]
        : [at(node.input), w];
      g.op("Conv", name, inputs, [
        ints("kernel_shape", [kernel, kernel]),
        ints("pads", [pad, pad, pad, pad]),
        ints("strides", [stride, stride]),
      ], out);
      return;
    }
    case "batchNorm": {
      const { name, bn } = node;
      const c = [node.channels];
      g.op(
        "BatchNormalization",
        name,
        [
          at(node.input),
          g.constant(`${name}.scale`, c, bn.gamma),
          g.constant(`${name}.bias`, c, bn.beta),
          g.constant(`${name}.mean`, c, bn.mean),
          g.constant(`${name}.var`, c, bn.variance),
        ],
        [float("epsilon", bn.eps)],
        out,
      );
      return;
    }
    case "relu":
      g.op("Relu", node.name, [at(node.input)], [], out);
      return;
    case "select": {
      const indices = g.int64Constant(`${node.name}.indices`, node.channels);
      g.op("Gather", node.name, [at(node.input), indices], [int("axis", 1)], out);
      return;
    }
    case "add":
      g.op("Add", node.name, node.inputs.map(at), [], out);
      return;
    case "concat":
      g.op("Concat", node.name, node.inputs.map(at), [int("axis", 1)], out);
      return;
    case "avgPool": {
      const s = [node.size, node.size];
      g.op("AveragePool", node.name, [at(node.input)], [
        ints("kernel_shape", s),
        ints("strides", s),
      ], out);
      return;
    }
    case "linear": {
      const { name } = node;
      const flat = g.op("Flatten", `${name}.flatten`, [at(node.input)], [int("axis", 1)]);
      const w = g.constant(`${name}.weight`, [node.outFeatures, node.inFeatures], node.weight);
      const b = g.constant(`${name}.bias`, [node.outFeatures], node.bias);
      g.op("Gemm", name, [flat, w, b], [int("transB", 1)], out);
      return;
    }
  }
}

/** The encoded ModelProto of `graph`, with `metadata` in its metadata_props (JSON values). */
export function onnxGraphBytes(graph: ExportGraph, metadata: ExportMetadata): Uint8Array {
  const g = new GraphBuilder();
  const at = (name: string) => (name === graph.output ? LOGITS : name);
  for (const node of graph.nodes) addNode(g, node, at(node.name), at);
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: "slimming",
    producerVersion: "0.1.0",
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    docString: graph.title,
    metadataProps: metadataEntries(metadata),
    graph: {
      name: graph.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValue("input", ["batch", 3, 32, 32])],
      output: [tensorValue(LOGITS, ["batch", graph.numClasses])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
