/**
 * Tensors as a PyTorch state_dict stores them, read asynchronously (so on every backend):
 * conv weights from HWIO to OIHW, vectors as they are, and int64 scalars
 * (`num_batches_tracked`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { f32, type NamedArray } from "./safetensors.ts";

/** An HWIO conv weight as PyTorch's OIHW F32 array. */
export async function oihwArray(w: tf.Tensor4D): Promise<NamedArray> {
  const t = tf.transpose(w, [3, 2, 0, 1]);
  const data = (await t.data()) as Float32Array;
  const shape = t.shape;
  t.dispose();
  return f32(shape, data);
}

/** A 1-D tensor as an F32 array. */
export async function vectorArray(t: tf.Tensor1D): Promise<NamedArray> {
  return f32(t.shape, (await t.data()) as Float32Array);
}

/** A little-endian int64 scalar. */
export function int64Scalar(value: number): NamedArray {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  return { dtype: "I64", shape: [], data: bytes };
}
