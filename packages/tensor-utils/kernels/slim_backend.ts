/**
 * A tfjs backend whose hot kernels are a {@linkcode KernelLib}: the stock `cpu` backend
 * (tensors are JS typed arrays) with the fused VGG kernels added and the 3x3 convolution
 * and 2x2 max-pool kernels replaced. Every other op falls through to the stock cpu kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { FUSED } from "../ops.ts";
import type { KernelLib, Nhwc } from "./kernel_lib.ts";

type TensorInfo = tf.TensorInfo;
type Kernel = tf.KernelConfig["kernelFunc"];
type Attrs = Record<string, unknown>;

function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  if (!(values instanceof Float32Array)) {
    throw new TypeError(`fused kernels take float32 tensors, got ${t.dtype}`);
  }
  return values;
}

function nhwc(t: TensorInfo): Nhwc {
  const [n, h, w, c] = t.shape;
  return [n, h, w, c];
}

/** Whether a Conv2D-family op's attributes are the 3x3, stride 1, 'same', NHWC case. */
function isConv3x3Same(attrs: Attrs, filterShape: readonly number[]): boolean {
  const strides = attrs.strides;
  const dilations = attrs.dilations ?? 1;
  const one = (v: unknown) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
  return filterShape[0] === 3 && filterShape[1] === 3 && one(strides) && one(dilations) &&
    (attrs.pad === "same" || attrs.pad === 1) && (attrs.dataFormat ?? "NHWC") === "NHWC";
}

function isPool2x2(attrs: Attrs): boolean {
  const two = (v: unknown) =>
    v === 2 || (Array.isArray(v) && v.length === 2 && v[0] === 2 && v[1] === 2);
  return two(attrs.filterSize) && two(attrs.strides) && attrs.pad === "valid" &&
    (attrs.dimRoundingMode === undefined || attrs.dimRoundingMode === null);
}

let gradientsRegistered = false;

/** Registers the gradients of the fused kernels (backend independent, once per process). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: FUSED.convBnRelu,
    inputsToSave: ["x", "weight", "gamma", "beta"],
    outputsToSave: [false, true, true, true, false, false],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, weight, gamma, beta, z, mean, variance] = saved;
      const engine = tf.engine();
      const [dz, dgamma, dbeta] = engine.runKernel(
        FUSED.bnReluGrad,
        { dy, z, gamma, beta, mean, variance },
        { eps: attrs.eps as number },
      ) as tf.Tensor[];
      return {
        x: () => engine.runKernel(FUSED.conv3x3GradInput, { dz, weight }, {}) as tf.Tensor,
        weight: () => engine.runKernel(FUSED.conv3x3GradFilter, { x, dz }, {}) as tf.Tensor,
        gamma: () => dgamma,
        beta: () => dbeta,
      };
    },
  });
}

/** The fused and replacement kernels for a backend backed by `lib`. */
export function slimKernels(
  lib: KernelLib,
  stock: (name: string) => Kernel,
): Record<string, Kernel> {
  const cpu = (backend: unknown) => backend as MathBackendCPU;
  const make = (backend: unknown, shape: number[], values: Float32Array): TensorInfo =>
    cpu(backend).makeTensorInfo(shape, "float32", values);
  return {
    [FUSED.convBnRelu]: ({ inputs, backend, attrs }) => {
      const { x, weight, gamma, beta, runningMean, runningVar } = inputs as Record<
        string,
        TensorInfo
      >;
      const b = cpu(backend);
      const cout = weight.shape[3];
      const out = lib.convBnRelu(
        valuesOf(b, x),
        nhwc(x),
        valuesOf(b, weight),
        cout,
        valuesOf(b, gamma),
        valuesOf(b, beta),
        (attrs as Attrs).eps as number,
      );
      // PyTorch's running statistics: momentum average, unbiased variance.
      const momentum = (attrs as Attrs).momentum as number;
      const count = x.shape[0] * x.shape[1] * x.shape[2];
      const unbias = count > 1 ? count / (count - 1) : 1;
      const rm = valuesOf(b, runningMean), rv = valuesOf(b, runningVar);
      const newMean = new Float32Array(cout), newVar = new Float32Array(cout);
      for (let c = 0; c < cout; c++) {
        newMean[c] = (1 - momentum) * rm[c] + momentum * out.mean[c];
        newVar[c] = (1 - momentum) * rv[c] + momentum * (out.variance[c] * unbias);
      }
      const shape = [x.shape[0], x.shape[1], x.shape[2], cout];
      return [
        make(b, shape, out.y),
        make(b, shape, out.z),
        make(b, [cout], out.mean),
        make(b, [cout], out.variance),
        make(b, [cout], newMean),
        make(b, [cout], newVar),
      ];
    },
    BatchMatMul: (args) => {
      const { a, b: bm } = args.inputs as Record<string, TensorInfo>;
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const batch = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);
      if (a.dtype !== "float32" || bm.dtype !== "float32" || batch(a) !== 1 || batch(bm) !== 1) {
        return stock("BatchMatMul")(args);
      }
      const b = cpu(args.backend);
      const [ar, ac] = a.shape.slice(-2), [br, bc] = bm.shape.slice(-2);
      const m = transposeA ? ac : ar, k = transposeA ? ar : ac, n = transposeB ? br : bc;
      const A = valuesOf(b, a), B = valuesOf(b, bm), C = lib.alloc(m * n);
      // Strides of A[i][p] and B[p][j] for the transposes (plain loops: these are the tiny head matrices).
      const ai = transposeA ? 1 : k,
        ap = transposeA ? m : 1,
        bp = transposeB ? 1 : n,
        bj = transposeB ? k : 1;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += A[i * ai + p * ap] * B[p * bp + j * bj];
          C[i * n + j] = sum;
        }
      }
      const rank = Math.max(a.shape.length, bm.shape.length);
      return make(b, rank === 3 ? [1, m, n] : [m, n], C);
    },
    AvgPool: (args) => {
      const { x } = args.inputs as Record<string, TensorInfo>;
      if (!isPool2x2(args.attrs as Attrs) || x.dtype !== "float32") return stock("AvgPool")(args);
      const b = cpu(args.backend);
      const [n, h, w, c] = nhwc(x);
      const ho = h >> 1, wo = w >> 1;
      const src = valuesOf(b, x), dst = lib.alloc(n * ho * wo * c);
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < ho; r++) {
          for (let s = 0; s < wo; s++) {
            const o = ((i * ho + r) * wo + s) * c;
            const a = ((i * h + 2 * r) * w + 2 * s) * c, d = a + w * c;
            for (let k = 0; k < c; k++) {
              dst[o + k] = (src[a + k] + src[a + c + k] + src[d + k] + src[d + c + k]) * 0.25;
            }
          }
        }
      }
      return make(b, [n, ho, wo, c], dst);
    },
    AvgPoolGrad: (args) => {
      const { dy, input } = args.inputs as Record<string, TensorInfo>;
      if (!isPool2x2(args.attrs as Attrs)) return stock("AvgPoolGrad")(args);
      const b = cpu(args.backend);
      const [n, h, w, c] = nhwc(input);
      const ho = h >> 1, wo = w >> 1;
      const g = valuesOf(b, dy), dx = lib.alloc(n * h * w * c);
      dx.fill(0);
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < ho; r++) {
          for (let s = 0; s < wo; s++) {
            const o = ((i * ho + r) * wo + s) * c;
            const a = ((i * h + 2 * r) * w + 2 * s) * c, d = a + w * c;
            for (let k = 0; k < c; k++) {
              const v = g[o + k] * 0.25;
              dx[a + k] = v, dx[a + c + k] = v, dx[d + k] = v, dx[d + c + k] = v;
            }
          }
        }
      }
      return make(b, [n, h, w, c], dx);
    },
    [FUSED.bnReluGrad]: ({ inputs, backend, attrs }) => {
      const { dy, z, gamma, beta, mean, variance } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const c = z.shape[z.shape.length - 1];
      const out = lib.bnReluGrad(
        valuesOf(b, dy),
        valuesOf(b, z),
        c,
        valuesOf(b, gamma),
        valuesOf(b, beta),
        valuesOf(b, mean),
        valuesOf(b, variance),
        (attrs as Attrs).eps as number,
      );
      return [make(b, [...z.shape], out.dz), make(b, [c], out.dgamma), make(b, [c], out.dbeta)];
    },
    [FUSED.conv3x3GradInput]: ({ inputs, backend }) => {
      const { dz, weight } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const [n, h, w] = dz.shape;
      const cin = weight.shape[2];
      const dx = lib.conv3x3GradInput(
        valuesOf(b, dz),
        [n, h, w, cin],
        valuesOf(b, weight),
        weight.shape[3],
      );
      return make(b, [n, h, w, cin], dx);
    },
    [FUSED.conv3x3GradFilter]: ({ inputs, backend }) => {
      const { x, dz } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const cout = dz.shape[3];
      const dw = lib.conv3x3GradFilter(valuesOf(b, x), valuesOf(b, dz), nhwc(x), cout);
      return make(b, [3, 3, x.shape[3], cout], dw);
    },
    [FUSED.convAffineRelu]: ({ inputs, backend }) => {
      const { x, weight, scale, shift } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const cout = weight.shape[3];
      const y = lib.convAffineRelu(
        valuesOf(b, x),
        nhwc(x),
        valuesOf(b, weight),
        cout,
        valuesOf(b, scale),
        valuesOf(b, shift),
      );
      return make(b, [x.shape[0], x.shape[1], x.shape[2], cout], y);
    },
    [FUSED.sgd]: ({ inputs, backend, attrs }) => {
      const named = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const a = attrs as Attrs;
      const count = a.count as number;
      const l1 = a.l1 as number[];
      const params: TensorInfo[] = [], buffers: TensorInfo[] = [];
      for (let i = 0; i < count; i++) {
        const param = named[`param${i}`];
        const out = lib.sgd(
          valuesOf(b, param),
          valuesOf(b, named[`grad${i}`]),
          a.first ? null : valuesOf(b, named[`buffer${i}`]),
          {
            lr: a.lr as number,
            momentum: a.momentum as number,
            weightDecay: a.weightDecay as number,
            l1: l1[i],
          },
        );
        params.push(make(b, [...param.shape], out.param));
        buffers.push(make(b, [...param.shape], out.buffer));
      }
      return [...params, ...buffers];
    },
    Conv2D: (args) => {
      const { x, filter } = args.inputs as Record<string, TensorInfo>;
      if (!isConv3x3Same(args.attrs as Attrs, filter.shape)) return stock("Conv2D")(args);
      const b = cpu(args.backend);
      const cout = filter.shape[3];
      const y = lib.conv3x3(valuesOf(b, x), nhwc(x), valuesOf(b, filter), cout);
      return make(b, [x.shape[0], x.shape[1], x.shape[2], cout], y);
    },
    Conv2DBackpropInput: (args) => {
      const { dy, filter } = args.inputs as Record<string, TensorInfo>;
      const attrs = args.attrs as Attrs;
      const inputShape = attrs.inputShape as number[];
      if (!isConv3x3Same(attrs, filter.shape)) return stock("Conv2DBackpropInput")(args);
      const b = cpu(args.backend);
      const dx = lib.conv3x3GradInput(
        valuesOf(b, dy),
        inputShape as unknown as Nhwc,
        valuesOf(b, filter),
        filter.shape[3],
      );
      return make(b, [...inputShape], dx);
    },
    Conv2DBackpropFilter: (args) => {
      const { x, dy } = args.inputs as Record<string, TensorInfo>;
      const attrs = args.attrs as Attrs;
      const filterShape = attrs.filterShape as number[];
      if (!isConv3x3Same(attrs, filterShape)) return stock("Conv2DBackpropFilter")(args);
      const b = cpu(args.backend);
      const dw = lib.conv3x3GradFilter(valuesOf(b, x), valuesOf(b, dy), nhwc(x), filterShape[3]);
      return make(b, [...filterShape], dw);
    },
    MaxPool: (args) => {
      const { x } = args.inputs as Record<string, TensorInfo>;
      if (!isPool2x2(args.attrs as Attrs) || x.dtype !== "float32") return stock("MaxPool")(args);
      const b = cpu(args.backend);
      const [n, h, w, c] = nhwc(x);
      return make(b, [n, h >> 1, w >> 1, c], lib.maxPool2(valuesOf(b, x), [n, h, w, c]));
    },
    MaxPoolGrad: (args) => {
      const { dy, input } = args.inputs as Record<string, TensorInfo>;
      if (!isPool2x2(args.attrs as Attrs)) return stock("MaxPoolGrad")(args);
      const b = cpu(args.backend);
      return make(
        b,
        [...input.shape],
        lib.maxPool2Grad(valuesOf(b, input), valuesOf(b, dy), nhwc(input)),
      );
    },
  };
}

/** Most bytes of idle output buffers a backend keeps for reuse. */
const MAX_POOLED_BYTES = 1 << 30;

/**
 * The stock cpu backend with a pool of output buffers. A training step allocates the same
 * sizes every time; reusing freed buffers avoids the page faults and zeroing of fresh
 * allocations (which cost as much as the small convolutions themselves). Only buffers from
 * {@linkcode PooledCpuBackend.allocate} are pooled; reads of them return copies, so an array
 * a caller got from `dataSync()` never changes under it.
 */
export class PooledCpuBackend extends MathBackendCPU {
  readonly #free = new Map<number, Float32Array[]>();
  /** Pool-born arrays, with the number of live tensor data entries holding each. */
  readonly #holders = new WeakMap<Float32Array, number>();
  #pooledBytes = 0;

  constructor() {
    super();
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A buffer of `length` floats, reused when one is free (contents undefined). */
  allocate(length: number): Float32Array {
    const reused = this.#free.get(length)?.pop();
    if (reused) this.#pooledBytes -= reused.byteLength;
    const array = reused ?? new Float32Array(length);
    this.#holders.set(array, 0);
    return array;
  }

  #hold(values: unknown): void {
    const count = this.#holders.get(values as Float32Array);
    if (count !== undefined) this.#holders.set(values as Float32Array, count + 1);
  }

  override write(
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
  ): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.#hold(values);
    return id;
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.#hold(values);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values as Float32Array | undefined;
    const released = super.disposeData(dataId, force);
    if (released && values && !this.data.has(dataId)) {
      const count = this.#holders.get(values);
      if (count !== undefined) {
        if (count > 1) this.#holders.set(values, count - 1);
        else this.#recycle(values);
      }
    }
    return released;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return this.#holders.has(values as Float32Array) ? (values as Float32Array).slice() : values;
  }

  #recycle(array: Float32Array): void {
    this.#holders.delete(array);
    if (this.#pooledBytes + array.byteLength > MAX_POOLED_BYTES) return;
    const list = this.#free.get(array.length) ?? [];
    list.push(array);
    this.#free.set(array.length, list);
    this.#pooledBytes += array.byteLength;
  }
}

/**
 * Registers a tfjs backend named `lib.name`: every stock cpu kernel, then the fused and
 * replacement kernels of `lib`. Idempotent per name.
 */
export function registerSlimBackend(lib: KernelLib, priority = 0): void {
  registerFusedGradients();
  if (tf.findBackendFactory(lib.name)) return;
  tf.registerBackend(lib.name, () => {
    const backend = new PooledCpuBackend();
    lib.alloc = (length) => backend.allocate(length);
    return backend;
  }, priority);
  const stockKernels = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const stock = (name: string): Kernel => {
    const k = stockKernels.get(name);
    if (!k) throw new Error(`no stock cpu kernel ${name}`);
    return k.kernelFunc;
  };
  const ours = slimKernels(lib, stock);
  for (const k of stockKernels.values()) {
    if (!(k.kernelName in ours)) tf.registerKernel({ ...k, backendName: lib.name });
  }
  for (const [kernelName, kernelFunc] of Object.entries(ours)) {
    tf.registerKernel({ kernelName, backendName: lib.name, kernelFunc });
  }
}
