/**
 * The kernels as WebAssembly SIMD (`slim_kernels.wasm`, built from the C sources in `src/` by
 * `deno task build:kernels`), run on a pool of workers sharing its memory. Portable: needs
 * no compiler on the user's machine. Inputs are copied into the module's memory and outputs
 * copied out around each call.
 *
 * @module
 */
import { geometryArgs, type KernelLib, type Nhwc, type SgdHyper } from "./kernel_lib.ts";
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
  const copyOut = (view: Float32Array): Float32Array => {
    const out = lib.alloc(view.length);
    out.set(view);
    return out;
  };
  const run = (
    inputs: readonly Float32Array[],
    outputSizes: readonly number[],
    call: (ins: number[], outs: number[]) => void,
    readBack: readonly number[] = [],
  ): Float32Array[] => {
    const alloc = (bytes: number) => {
      const ptr = e.slim_alloc(bytes);
      if (ptr === 0) throw new RangeError("WebAssembly kernels: out of memory");
      return ptr >>> 0;
    };
    try {
      const ins = inputs.map((a) => alloc(a.byteLength));
      const outs = outputSizes.map((n) => alloc(n * 4));
      let buffer = pool.memory.buffer;
      inputs.forEach((a, i) => new Float32Array(buffer, ins[i], a.length).set(a));
      call(ins, outs);
      buffer = pool.memory.buffer;
      return [
        ...outputSizes.map((n, i) => copyOut(new Float32Array(buffer, outs[i], n))),
        ...readBack.map((k) => copyOut(new Float32Array(buffer, ins[k], inputs[k].length))),
      ];
    } finally {
      e.slim_release();
    }
  };
  const lib: KernelLib = {
    alloc: (length) => new Float32Array(length),
    name: "wasm-simd",
    description: `WebAssembly SIMD kernels, ${threads} thread${threads === 1 ? "" : "s"}`,
    convBnRelu(x, [n, h, w, cin], weight, cout, gamma, beta, eps) {
      const size = n * h * w * cout;
      const [z, y, mean, variance] = run(
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
      return run(
        [x, weight, scale, shift],
        [n * h * w * cout],
        (i, o) => e.slim_conv_affine_relu(i[0], n, h, w, cin, i[1], cout, i[2], i[3], o[0]),
      )[0];
    },
    conv3x3(x, [n, h, w, cin], weight, cout) {
      return run(
        [x, weight],
        [n * h * w * cout],
        (i, o) => e.slim_conv3x3(i[0], n, h, w, cin, i[1], cout, o[0]),
      )[0];
    },
    conv3x3GradInput(dz, [n, h, w, cin], weight, cout) {
      return run(
        [dz, weight],
        [n * h * w * cin],
        (i, o) => e.slim_conv3x3_grad_input(i[0], n, h, w, cin, i[1], cout, o[0]),
      )[0];
    },
    conv3x3GradFilter(x, dz, [n, h, w, cin], cout) {
      return run(
        [x, dz],
        [9 * cin * cout],
        (i, o) => e.slim_conv3x3_grad_filter(i[0], i[1], n, h, w, cin, cout, o[0]),
      )[0];
    },
    bnReluGrad(dy, z, c, gamma, beta, mean, variance, eps) {
      const [dz, dgamma, dbeta] = run(
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
      const [y, mean, variance] = run(
        [x, gamma, beta],
        [x.length, c, c],
        (i, o) => e.slim_bn_relu(i[0], x.length / c, c, i[1], i[2], eps, o[0], o[1], o[2]),
      );
      return { y, mean, variance };
    },
    affineRelu(x, scale, shift) {
      const c = scale.length;
      return run(
        [x, scale, shift],
        [x.length],
        (i, o) => e.slim_affine_relu(i[0], x.length / c, c, i[1], i[2], o[0]),
      )[0];
    },
    conv1x1(x, [n, h, w, cin], weight, cout, stride) {
      return run(
        [x, weight],
        [n * Math.ceil(h / stride) * Math.ceil(w / stride) * cout],
        (i, o) => e.slim_conv1x1(i[0], n, h, w, cin, i[1], cout, stride, o[0]),
      )[0];
    },
    conv1x1GradInput(dy, [n, h, w, cin], weight, cout, stride) {
      return run(
        [dy, weight],
        [n * h * w * cin],
        (i, o) => e.slim_conv1x1_grad_input(i[0], n, h, w, cin, i[1], cout, stride, o[0]),
      )[0];
    },
    conv1x1GradFilter(x, dy, [n, h, w, cin], cout, stride) {
      return run(
        [x, dy],
        [cin * cout],
        (i, o) => e.slim_conv1x1_grad_filter(i[0], i[1], n, h, w, cin, cout, stride, o[0]),
      )[0];
    },
    convPatches(x, weight, g) {
      return run(
        [x, weight],
        [g.n * g.ho * g.wo * g.cout],
        (i, o) => e.slim_conv_im2col(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    convPatchesGradInput(dy, weight, g) {
      return run(
        [dy, weight],
        [g.n * g.h * g.w * g.cin],
        (i, o) => e.slim_conv_im2col_grad_input(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    convPatchesGradFilter(x, dy, g) {
      return run(
        [x, dy],
        [g.kh * g.kw * g.cin * g.cout],
        (i, o) => e.slim_conv_im2col_grad_filter(i[0], i[1], ...geometryArgs(g), o[0]),
      )[0];
    },
    // In JavaScript: copying both inputs in and the sum out would cost more than the sum.
    add(a, b) {
      const y = lib.alloc(a.length);
      for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
      return y;
    },
    // In JavaScript too: a copy into the module and back would double the bytes moved.
    copyColumns(src, srcChannels, srcOffset, dst, dstChannels, dstOffset, width) {
      const rows = width === 0 ? 0 : src.length / srcChannels;
      for (let r = 0; r < rows; r++) {
        const from = r * srcChannels + srcOffset, to = r * dstChannels + dstOffset;
        for (let j = 0; j < width; j++) dst[to + j] = src[from + j];
      }
    },
    gatherChannels(x, c, indices) {
      const rows = x.length / c, k = indices.length;
      return run(
        [x, asFloats(indices)],
        [rows * k],
        (i, o) => e.slim_gather_channels(i[0], rows, c, i[1], k, o[0]),
      )[0];
    },
    scatterChannels(dy, indices, c) {
      const k = indices.length, rows = dy.length / k;
      return run(
        [dy, asFloats(indices)],
        [rows * c],
        (i, o) => e.slim_scatter_channels(i[0], rows, k, i[1], c, o[0]),
      )[0];
    },
    maxPool2(x, [n, h, w, c]: Nhwc) {
      return run(
        [x],
        [n * (h >> 1) * (w >> 1) * c],
        (i, o) => e.slim_maxpool2(i[0], n, h, w, c, o[0]),
      )[0];
    },
    maxPool2Grad(x, dy, [n, h, w, c]: Nhwc) {
      return run(
        [x, dy],
        [n * h * w * c],
        (i, o) => e.slim_maxpool2_grad(i[0], i[1], n, h, w, c, o[0]),
      )[0];
    },
    avgPool2(x, [n, h, w, c]: Nhwc) {
      return run(
        [x],
        [n * (h >> 1) * (w >> 1) * c],
        (i, o) => e.slim_avgpool2(i[0], n, h, w, c, o[0]),
      )[0];
    },
    avgPool2Grad(dy, [n, h, w, c]: Nhwc) {
      return run(
        [dy],
        [n * h * w * c],
        (i, o) => e.slim_avgpool2_grad(i[0], n, h, w, c, o[0]),
      )[0];
    },
    matMul(a, b, { m, k, n, transposeA, transposeB }) {
      return run(
        [a, b],
        [m * n],
        (i, o) => e.slim_matmul(i[0], i[1], m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, o[0]),
      )[0];
    },
    sgd(param, grad, buffer, hyper: SgdHyper) {
      const first = buffer === null;
      const [p, b] = run(
        [param, grad, buffer ?? new Float32Array(param.length)],
        [],
        (i) =>
          e.slim_sgd(
            i[0],
            i[1],
            i[2],
            param.length,
            hyper.lr,
            hyper.momentum,
            hyper.weightDecay,
            hyper.l1,
            first ? 1 : 0,
            hyper.nesterov ? 1 : 0,
          ),
        [0, 2],
      );
      return { param: p, buffer: b };
    },
    dispose() {
      pool.terminate();
    },
  };
  return lib;
}
