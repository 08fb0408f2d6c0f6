/**
 * Small helpers to build ONNX protos with `onnx-proto`: attributes, value infos, and a
 * collector of a graph's nodes and initializers. Shared by every ONNX export.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { littleEndianBytes } from "./tfjs_layers.ts";

/** The protobufjs namespace of onnx.proto. */
export const onnx = onnxProto.onnx;

/** One node attribute. */
export type Attribute = InstanceType<typeof onnx.AttributeProto>;

/** An INTS attribute. */
export function ints(name: string, values: number[]): Attribute {
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints: values,
  });
}

/** A FLOAT attribute. */
export function float(name: string, value: number): Attribute {
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.FLOAT,
    f: value,
  });
}

/** An INT attribute. */
export function int(name: string, value: number): Attribute {
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.INT,
    i: value,
  });
}

/** A float32 graph input or output of shape `dims` (a string is a symbolic dimension). */
export function tensorValue(
  name: string,
  dims: Array<number | string>,
): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  });
}

/** Builds a graph's nodes and initializers (one helper per op keeps the names in one place). */
export class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];

  /** A float32 initializer; returns its name. */
  constant(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: littleEndianBytes(data),
      }),
    );
    return name;
  }

  /** A 1-D int64 initializer (e.g. Gather indices); returns its name. */
  int64Constant(name: string, values: readonly number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: bytes,
      }),
    );
    return name;
  }

  /** A node whose one output is named `output` (default: the node's name). */
  op(
    opType: string,
    name: string,
    inputs: string[],
    attribute: Attribute[] = [],
    output = name,
  ): string {
    this.nodes.push(
      onnx.NodeProto.create({ opType, name, input: inputs, output: [output], attribute }),
    );
    return output;
  }
}
