/**
 * What the kernel registration modules share: reading a tensor's array on the cpu-style
 * backend, making output tensors, and recognising the op shapes the kernels take.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { KernelLib, Nhwc } from "./kernel_lib.ts";
import { PooledCpuBackend } from "./pooled_cpu_backend.ts";

/** A tensor as a kernel sees it. */
export type TensorInfo = tf.TensorInfo;
/** A tfjs kernel function. */
export type Kernel = tf.KernelConfig["kernelFunc"];
/** A kernel's attributes. */
export type Attrs = Record<string, unknown>;
/** Kernels by name. */
export type KernelTable = Record<string, Kernel>;
/** The stock cpu kernel of a name (the fallback for shapes the kernels do not take). */
export type StockKernels = (name: string) => Kernel;
/** Builds one family's kernels over `lib`, falling back to `stock`. */
export type KernelFamily = (lib: KernelLib, stock: StockKernels) => KernelTable;

/** The backend a kernel runs on (a cpu backend: tensors are typed arrays). */
export function cpu(backend: unknown): MathBackendCPU {
  return backend as MathBackendCPU;
}

/**
 * The float32 array behind `t` (moved into the backend's arena first, if it has one and the
 * array lies elsewhere and `move`: see {@linkcode PooledCpuBackend.adopt}; kernels computed in
 * JavaScript pass false); a TypeError for another dtype.
 */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo, move = true): Float32Array {
  const values = move && backend instanceof PooledCpuBackend
    ? backend.adopt(t.dataId)
    : backend.data.get(t.dataId).values;
  if (!(values instanceof Float32Array)) {
    throw new TypeError(`fused kernels take float32 tensors, got ${t.dtype}`);
  }
  return values;
}

/** A float32 tensor of `shape` over `values` (taken, not copied). */
export function makeTensor(backend: unknown, shape: number[], values: Float32Array): TensorInfo {
  return cpu(backend).makeTensorInfo(shape, "float32", values);
}

/** The shape of a rank-4 tensor. */
export function nhwc(t: TensorInfo): Nhwc {
  const [n, h, w, c] = t.shape;
  return [n, h, w, c];
}

/** Whether a Conv2D-family op's attributes are the 3x3, stride 1, 'same', NHWC case. */
export function isConv3x3Same(attrs: Attrs, filterShape: readonly number[]): boolean {
  const strides = attrs.strides;
  const dilations = attrs.dilations ?? 1;
  const one = (v: unknown) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
  return filterShape[0] === 3 && filterShape[1] === 3 && one(strides) && one(dilations) &&
    (attrs.pad === "same" || attrs.pad === 1) && (attrs.dataFormat ?? "NHWC") === "NHWC";
}

/**
 * The stride of a Conv2D-family op that is a 1x1, NHWC, undilated conv without padding (the
 * same stride both ways), or 0 for any other conv. 'same' and 'valid' agree for 1x1 filters.
 */
export function conv1x1Stride(attrs: Attrs, filterShape: readonly number[]): number {
  const pair = (v: unknown) => Array.isArray(v) ? v : [v, v];
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  const pad = attrs.pad;
  const ok = filterShape[0] === 1 && filterShape[1] === 1 && sh === sw &&
    Number.isInteger(sh) && sh >= 1 && dh === 1 && dw === 1 &&
    (pad === "same" || pad === "valid" || pad === 0) &&
    (attrs.dataFormat ?? "NHWC") === "NHWC";
  return ok ? sh as number : 0;
}

/** Whether a pooling op's attributes are the 2x2, stride 2, 'valid' case. */
export function isPool2x2(attrs: Attrs): boolean {
  const two = (v: unknown) =>
    v === 2 || (Array.isArray(v) && v.length === 2 && v[0] === 2 && v[1] === 2);
  return two(attrs.filterSize) && two(attrs.strides) && attrs.pad === "valid" &&
    (attrs.dimRoundingMode === undefined || attrs.dimRoundingMode === null);
}
