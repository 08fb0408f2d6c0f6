/**
 * The kernels as WebAssembly SIMD (`slim_kernels.wasm`, built from the C sources in `src/` by
 * `deno task build:kernels`), run on a pool of workers sharing its memory. Portable: needs
 * no compiler on the user's machine. The backend keeps its tensors in the module's memory
 * (`wasm_heap.ts`), so the kernels read their inputs and write their outputs where they lie;
 * only arrays from elsewhere (user data, stock kernels' outputs) are copied in, counted.
 *
 * @module
 */
import { geometryArgs, type KernelLib, type Nhwc, type SgdHyper } from "./kernel_lib.ts";
import { WasmHeap } from "./wasm_heap.ts";
import { startWasmPool } from "./wasm_pool.ts";

/** The committed WebAssembly build of the kernels. */
export const WASM_URL: URL = new URL("./slim_kernels.wasm", import.meta.url);

type Fn = (...args: number[]) => void;

/** The bytes of an int32 array seen as floats (copied into the module's memory unchanged). */
const asFloats = (a: Int32Array) => new Float32Array(a.buffer, a.byteOffset, a.length);

/**
 * Starts the WebAssembly kernels on `threads` threads (default: all cores). Long only because
 * the KernelLib it returns is one short method per kernel.
 */
export async function loadWasmLib(
  options: { threads?: number } = {},
): Promise<KernelLib | { error: string }> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(WASM_URL);
  } catch {
    return { error: `missing ${WASM_URL.pathname}: run deno task build:kernels` };
  }
  const threads = Math.max(1, options.threads ?? navigator.hardwareConcurrency ?? 1);
  const pool = await startWasmPool(bytes, threads);
  const e = pool.exports as unknown as Record<string, Fn> & { slim_alloc(n: number): number };
  let calling = false;
  const heap = new WasmHeap(pool.memory, (bytes) => {
    if (calling) throw new Error("WebAssembly kernels: heap grown inside a kernel call");
    e.slim_release();
    const pointer = e.slim_alloc(bytes) >>> 0;
    e.slim_mark();
    return pointer;
  });
  const scratch = (bytes: number) => {
    const pointer = e.slim_alloc(bytes);
    if (pointer === 0) throw new RangeError("WebAssembly kernels: out of memory");
    return pointer >>> 0;
  };
  /**
   * Calls a kernel on the addresses of `inputs` and of the (already allocated) `outputs`:
   * arrays in the module's memory are used where they lie; others are copied into scratch
   * memory (inputs, and outputs when `readOutputs`) and the outputs copied back after.
   */
  const run = (
    inputs: readonly Float32Array[],
    outputs: readonly Float32Array[],
    call: (ins: number[], outs: number[]) => void,
    readOutputs = false,
  ): void => {
    calling = true;
    try {
      const copyIn = (a: Float32Array) => {
        const pointer = scratch(a.byteLength);
        heap.view(pointer, a.length).set(a);
        heap.copiedIn += a.byteLength;
        return pointer;
      };
      const ins = inputs.map((a) => heap.contains(a) ? a.byteOffset : copyIn(a));
      const outs = outputs.map((a) =>
        heap.contains(a) ? a.byteOffset : readOutputs ? copyIn(a) : scratch(a.byteLength)
      );
      call(ins, outs);
      outputs.forEach((a, i) => {
        if (heap.contains(a)) return;
        a.set(heap.view(outs[i], a.length));
        heap.copiedOut += a.byteLength;
      });
    } finally {
      e.slim_release();
      calling = false;
    }
  };
  /** New output arrays of `sizes`, written by `call` (see `run`). */
  const produce = (
    inputs: readonly Float32Array[],
    sizes: readonly number[],
    call: (ins: number[], outs: number[]) => void,
  ): Float32Array[] => {
    const outputs = sizes.map((n) => lib.alloc(n));
    run(inputs, outputs, call);
    return outputs;
  };
  const lib: KernelLib = {
    alloc: (length) => heap.allocate(length) ?? new Float32Array(length),
    arena: heap,
    name: "wasm-simd",
    description: `WebAssembly SIMD kernels, ${threads} thread${threads === 1 ? "" : "s"}`,
    convBnRelu(x, [n, h, w, cin], weight, cout, gamma, beta, eps) {
      const size = n * h * w * cout;
      const [z, y, mean, variance] = produce(
        [x, weight, gamma, beta],
        [size, size, cout, cout],
        (i, o) =>
          e.slim_conv_bn_relu(
            i[0],
            n,
            h,
            w,
            cin,
            i[1],
            cout,
            i[2],
            i[3],
            eps,
            o[0],
            o[1],
            o[2],
            o[3],
          ),
      );
      return { z, y, mean, variance };
    },
    convAffineRelu(x, [n, h, w, cin], weight, cout, scale, shift) {
      return produce(
        [x, weight, scale, shift],
        [n * h * w * cout],
        (i, o) => e.slim_conv_affine_relu(i[0], n, h, w, cin, i[1], cout, i[2], i[3], o[0]),
      )[0];
    },
    conv3x3(x, [n, h, w, cin], weight, cout) {
      return produce(
        [x, weight],
        [n * h * w * cout],
        (i, o) => e.slim_conv3x3(i[0], n, h, w, cin, i[1], cout, o[0]),
      )[0];
    },
    conv3x3GradInput(dz, [n, h, w, cin], weight, cout) {
      return produce(
        [dz, weight],
        [n * h * w * cin],
        (i, o) => e.slim_conv3x3_grad_input(i[0], n, h, w, cin, i[1], cout, o[0]),
      )[0];
    },
    conv3x3GradFilter(x, dz, [n, h, w, cin], cout) {
      return produce(
        [x, dz],
        [9 * cin * cout],
        (i, o) => e.slim_conv3x3_grad_filter(i[0], i[1], n, h, w, cin, cout, o[0]),
      )[0];
    },
    bnReluGrad(dy, z, c, gamma, beta, mean, variance, eps) {
      const [dz, dgamma, dbeta] = produce(
        [dy, z, gamma, beta, mean, variance],
        [z.length, c, c],
        (i, o) =>
          e.slim_bn_relu_grad(
            i[0],
            i[1],
            z.length / c,
            c,
            i[2],
            i[3],
            i[4],
            i[5],
            eps,
            o[0],
            o[1],
            o[2],
          ),
      );
      return { dz, dgamma, dbeta };
    },
    bnRelu(x, c, gamma, beta, eps) {
      const [y, mean, variance] = produce(
        [x, gamma, beta],
        [x.length, c, c],
        (i, o) => e.slim_bn_relu(i[0], x.length / c, c, i[1], i[2], eps, o[0], o[1], o[2]),
      );
      return { y, mean, variance };
    },
    affineRelu(x, scale, shift) {
      const c = scale.length;
      return produce(
        [x, scale, shift],
        [x.length],
        (i, o) => e.slim_affine_relu(i[0], x.length / c, c, i[1], i[2], o[0]),
      )[0];
    },
    conv1x1(x, [n, h, w, cin], weight, cout, stride) {
      return produce(
        [x, weight],
        [n * Math.ceil(h / stride) * Math.ceil(w / stride) * cout],
        (i, o) => e.slim_conv1x1(i[0], n, h, w, cin, i[1], cout, stride, o[0]),
      )[0];
    },
    conv1x1GradInput(dy, [n, h, w, cin], weight, cout, stride) {
      return produce(
        [dy, weight],
        [n * h * w * cin],
        (i, o) => e.slim_conv1x1_grad_input(i[0], n, h, w, cin, i[1], cout, stride, o[0]),
      )[0];
    },
    conv1x1GradFilter(x, dy, [n, h, w, cin], cout, stride) {
      return produce(
        [x, dy],
        [cin * cout],
        (i, o) => e.slim_conv1x1_grad_filter(i[0], i[1], n, h, w, cin, cout, stride, o[0]),
      )[0];
    },
    bnReluConv1x1(x, [n, h, w, cin], gamma, beta, eps, weight, cout) {
      const [y, mean, variance] = produce(
        [x, gamma, beta, weight],
        [n * h * w * cout, cin, cin],
        (i, o) =>
          e.slim_bn_relu_conv1x1(
            i[0],
            n,
            h,
            w,
            cin,
            i[1],
            i[2],
            eps,
            i[3],
            cout,
            1,
            o[0],
            o[1],
            o[2],
          ),
      );
      return { y, mean, variance };
    },
    conv1x1GradFilterBnRelu(x, dy, [n, h, w, cin], cout, gamma, beta, mean, variance, eps) {
      return produce(
        [x, dy, gamma, beta, mean, variance],
        [cin * cout],
        (i, o) =>
          e.slim_conv1x1_grad_filter_bn_relu(
            i[0],
            i[1],
            n,
            h,
            w,
            cin,
            cout,
            1,
            i[2],
            i[3],
            i[4],
            i[5],
            eps,
            o[0],
          ),
      )[0];
    },
    convPatches(x, weight, g) {
      return produce(
        [x, weight],
        [g.n * g.ho * g.wo * g.cout],
        (i, o) => e.slim_conv_im2col(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    convPatchesGradInput(dy, weight, g) {
      return produce(
        [dy, weight],
        [g.n * g.h * g.w * g.cin],
        (i, o) => e.slim_conv_im2col_grad_input(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    convPatchesGradFilter(x, dy, g) {
      return produce(
        [x, dy],
        [g.kh * g.kw * g.cin * g.cout],
        (i, o) => e.slim_conv_im2col_grad_filter(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    // In JavaScript when an operand is an ordinary array: copying it in and the sum out would
    // cost more than the sum.
    add(a, b) {
      const y = lib.alloc(a.length);
      if (heap.contains(a) && heap.contains(b) && heap.contains(y)) {
        run([a, b], [y], (i, o) => e.slim_add(i[0], i[1], a.length, o[0]));
      } else {
        for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
      }
      return y;
    },
    copyColumns(src, srcChannels, srcOffset, dst, dstChannels, dstOffset, width) {
      const rows = width === 0 ? 0 : src.length / srcChannels;
      if (rows > 0 && heap.contains(src) && heap.contains(dst)) {
        run(
          [src],
          [dst],
          (i, o) =>
            e.slim_copy_columns(
              i[0],
              rows,
              srcChannels,
              srcOffset,
              o[0],
              dstChannels,
              dstOffset,
              width,
            ),
        );
        return;
      }
      for (let r = 0; r < rows; r++) {
        const from = r * srcChannels + srcOffset, to = r * dstChannels + dstOffset;
        for (let j = 0; j < width; j++) dst[to + j] = src[from + j];
      }
    },
    gatherChannels(x, c, indices) {
      const rows = x.length / c, k = indices.length;
      return produce(
        [x, asFloats(indices)],
        [rows * k],
        (i, o) => e.slim_gather_channels(i[0], rows, c, i[1], k, o[0]),
      )[0];
    },
    scatterChannels(dy, indices, c) {
      const k = indices.length, rows = dy.length / k;
      return produce(
        [dy, asFloats(indices)],
        [rows * c],
        (i, o) => e.slim_scatter_channels(i[0], rows, k, i[1], c, o[0]),
      )[0];
    },
    maxPool2(x, [n, h, w, c]: Nhwc) {
      return produce(
        [x],
        [n * (h >> 1) * (w >> 1) * c],
        (i, o) => e.slim_maxpool2(i[0], n, h, w, c, o[0]),
      )[0];
    },
    maxPool2Grad(x, dy, [n, h, w, c]: Nhwc) {
      return produce(
        [x, dy],
        [n * h * w * c],
        (i, o) => e.slim_maxpool2_grad(i[0], i[1], n, h, w, c, o[0]),
      )[0];
    },
    avgPool2(x, [n, h, w, c]: Nhwc) {
      return produce(
        [x],
        [n * (h >> 1) * (w >> 1) * c],
        (i, o) => e.slim_avgpool2(i[0], n, h, w, c, o[0]),
      )[0];
    },
    avgPool2Grad(dy, [n, h, w, c]: Nhwc) {
      return produce(
        [dy],
        [n * h * w * c],
        (i, o) => e.slim_avgpool2_grad(i[0], n, h, w, c, o[0]),
      )[0];
    },
    matMul(a, b, { m, k, n, transposeA, transposeB }) {
      return produce(
        [a, b],
        [m * n],
        (i, o) => e.slim_matmul(i[0], i[1], m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, o[0]),
      )[0];
    },
    sgd(param, grad, buffer, hyper: SgdHyper) {
      const p = lib.alloc(param.length), b = lib.alloc(param.length);
      // On the first step the kernel reads no buffer: the gradient stands in for its address.
      run(
        buffer ? [param, grad, buffer] : [param, grad],
        [p, b],
        (i, o) =>
          e.slim_sgd(
            i[0],
            i[1],
            i[2] ?? i[1],
            o[0],
            o[1],
            param.length,
            hyper.lr,
            hyper.momentum,
            hyper.weightDecay,
            hyper.l1,
            buffer ? 0 : 1,
            hyper.nesterov ? 1 : 0,
          ),
      );
      return { param: p, buffer: b };
    },
    dispose() {
      pool.terminate();
    },
  };
  return lib;
}
