/**
 * The kernels as a native shared library (built by {@linkcode buildNativeLibrary}), called
 * through Deno FFI directly on the tensors' arrays (no copies).
 *
 * @module
 */
import { geometryArgs, type KernelLib, type Nhwc, type SgdHyper } from "./kernel_lib.ts";
import { buildNativeLibrary, type Threading } from "./native_build.ts";
import { NATIVE_SYMBOLS } from "./native_symbols.ts";

/**
 * Loads the native kernels (building them first if needed), or explains why not; `threading`
 * forces OpenMP or our own thread pool (default: what the compiler supports, or
 * `SLIMMING_THREADS`). Long only because the KernelLib it returns is one short method per
 * kernel.
 */
export async function loadNativeLib(
  options: { threads?: number; threading?: Threading; log?: (line: string) => void } = {},
): Promise<KernelLib | { error: string }> {
  const built = await buildNativeLibrary({ threading: options.threading, log: options.log });
  if ("error" in built) return built;
  let dylib: Deno.DynamicLibrary<typeof NATIVE_SYMBOLS>;
  try {
    dylib = Deno.dlopen(built.path, NATIVE_SYMBOLS);
  } catch (error) {
    return {
      error: `cannot load ${built.path}: ${error instanceof Error ? error.message : error}`,
    };
  }
  const s = dylib.symbols;
  const threads = s.slim_set_threads(options.threads ?? navigator.hardwareConcurrency ?? 1);
  const width = s.slim_vector_width();
  const isa = width === 16 ? "AVX-512" : width === 8 ? "AVX2" : "SSE/NEON";
  const threading = s.slim_threading() === 1 ? "own thread pool" : "OpenMP";
  const lib: KernelLib = {
    alloc: (length) => new Float32Array(length),
    name: "native",
    description: `native ${isa} kernels, ${threading}, ${threads} thread${
      threads === 1 ? "" : "s"
    }`,
    convBnRelu(x, [n, h, w, cin], weight, cout, gamma, beta, eps) {
      const z = lib.alloc(n * h * w * cout);
      const y = lib.alloc(z.length);
      const mean = lib.alloc(cout);
      const variance = lib.alloc(cout);
      s.slim_conv_bn_relu(x, n, h, w, cin, weight, cout, gamma, beta, eps, z, y, mean, variance);
      return { z, y, mean, variance };
    },
    convAffineRelu(x, [n, h, w, cin], weight, cout, scale, shift) {
      const y = lib.alloc(n * h * w * cout);
      s.slim_conv_affine_relu(x, n, h, w, cin, weight, cout, scale, shift, y);
      return y;
    },
    conv3x3(x, [n, h, w, cin], weight, cout) {
      const y = lib.alloc(n * h * w * cout);
      s.slim_conv3x3(x, n, h, w, cin, weight, cout, y);
      return y;
    },
    conv3x3GradInput(dz, [n, h, w, cin], weight, cout) {
      const dx = lib.alloc(n * h * w * cin);
      s.slim_conv3x3_grad_input(dz, n, h, w, cin, weight, cout, dx);
      return dx;
    },
    conv3x3GradFilter(x, dz, [n, h, w, cin], cout) {
      const dw = lib.alloc(9 * cin * cout);
      s.slim_conv3x3_grad_filter(x, dz, n, h, w, cin, cout, dw);
      return dw;
    },
    bnReluGrad(dy, z, c, gamma, beta, mean, variance, eps) {
      const dz = lib.alloc(z.length);
      const dgamma = lib.alloc(c);
      const dbeta = lib.alloc(c);
      s.slim_bn_relu_grad(
        dy,
        z,
        z.length / c,
        c,
        gamma,
        beta,
        mean,
        variance,
        eps,
        dz,
        dgamma,
        dbeta,
      );
      return { dz, dgamma, dbeta };
    },
    bnRelu(x, c, gamma, beta, eps) {
      const y = lib.alloc(x.length);
      const mean = lib.alloc(c);
      const variance = lib.alloc(c);
      s.slim_bn_relu(x, x.length / c, c, gamma, beta, eps, y, mean, variance);
      return { y, mean, variance };
    },
    affineRelu(x, scale, shift) {
      const y = lib.alloc(x.length);
      s.slim_affine_relu(x, x.length / scale.length, scale.length, scale, shift, y);
      return y;
    },
    bn(x, c, gamma, beta, eps) {
      const y = lib.alloc(x.length);
      const mean = lib.alloc(c);
      const variance = lib.alloc(c);
      s.slim_bn(x, x.length / c, c, gamma, beta, eps, y, mean, variance);
      return { y, mean, variance };
    },
    bnGrad(dy, x, c, gamma, mean, variance, eps) {
      const dz = lib.alloc(x.length);
      const dgamma = lib.alloc(c);
      const dbeta = lib.alloc(c);
      s.slim_bn_grad(dy, x, x.length / c, c, gamma, mean, variance, eps, dz, dgamma, dbeta);
      return { dz, dgamma, dbeta };
    },
    addRelu(a, b) {
      const y = lib.alloc(a.length);
      s.slim_add_relu(a, b, a.length, y);
      return y;
    },
    reluGrad(dy, y) {
      const dx = lib.alloc(dy.length);
      s.slim_relu_grad(dy, y, dy.length, dx);
      return dx;
    },
    conv1x1(x, [n, h, w, cin], weight, cout, stride) {
      const y = lib.alloc(n * Math.ceil(h / stride) * Math.ceil(w / stride) * cout);
      s.slim_conv1x1(x, n, h, w, cin, weight, cout, stride, y);
      return y;
    },
    conv1x1GradInput(dy, [n, h, w, cin], weight, cout, stride) {
      const dx = lib.alloc(n * h * w * cin);
      s.slim_conv1x1_grad_input(dy, n, h, w, cin, weight, cout, stride, dx);
      return dx;
    },
    conv1x1GradFilter(x, dy, [n, h, w, cin], cout, stride) {
      const dw = lib.alloc(cin * cout);
      s.slim_conv1x1_grad_filter(x, dy, n, h, w, cin, cout, stride, dw);
      return dw;
    },
    convPatches(x, weight, g) {
      const y = lib.alloc(g.n * g.ho * g.wo * g.cout);
      s.slim_conv_im2col(x, weight, ...geometryArgs(g), y);
      return y;
    },
    convPatchesGradInput(dy, weight, g) {
      const dx = lib.alloc(g.n * g.h * g.w * g.cin);
      s.slim_conv_im2col_grad_input(dy, weight, ...geometryArgs(g), dx);
      return dx;
    },
    convPatchesGradFilter(x, dy, g) {
      const dw = lib.alloc(g.kh * g.kw * g.cin * g.cout);
      s.slim_conv_im2col_grad_filter(x, dy, ...geometryArgs(g), dw);
      return dw;
    },
    bnReluConv1x1(x, [n, h, w, cin], gamma, beta, eps, weight, cout) {
      const y = lib.alloc(n * h * w * cout), mean = lib.alloc(cin), variance = lib.alloc(cin);
      s.slim_bn_relu_conv1x1(x, n, h, w, cin, gamma, beta, eps, weight, cout, 1, y, mean, variance);
      return { y, mean, variance };
    },
    conv1x1GradFilterBnRelu(x, dy, [n, h, w, cin], cout, gamma, beta, mean, variance, eps) {
      const dw = lib.alloc(cin * cout);
      s.slim_conv1x1_grad_filter_bn_relu(
        x,
        dy,
        n,
        h,
        w,
        cin,
        cout,
        1,
        gamma,
        beta,
        mean,
        variance,
        eps,
        dw,
      );
      return dw;
    },
    add(a, b) {
      const y = lib.alloc(a.length);
      s.slim_add(a, b, a.length, y);
      return y;
    },
    copyColumns(src, srcChannels, srcOffset, dst, dstChannels, dstOffset, width) {
      if (width === 0) return;
      const rows = src.length / srcChannels;
      s.slim_copy_columns(src, rows, srcChannels, srcOffset, dst, dstChannels, dstOffset, width);
    },
    gatherChannels(x, c, indices) {
      const rows = x.length / c;
      const y = lib.alloc(rows * indices.length);
      s.slim_gather_channels(x, rows, c, indices, indices.length, y);
      return y;
    },
    scatterChannels(dy, indices, c) {
      const rows = dy.length / indices.length;
      const dx = lib.alloc(rows * c);
      s.slim_scatter_channels(dy, rows, indices.length, indices, c, dx);
      return dx;
    },
    maxPool2(x, [n, h, w, c]: Nhwc) {
      const y = lib.alloc(n * (h >> 1) * (w >> 1) * c);
      s.slim_maxpool2(x, n, h, w, c, y);
      return y;
    },
    maxPool2Grad(x, dy, [n, h, w, c]: Nhwc) {
      const dx = lib.alloc(n * h * w * c);
      s.slim_maxpool2_grad(x, dy, n, h, w, c, dx);
      return dx;
    },
    avgPool2(x, [n, h, w, c]: Nhwc) {
      const y = lib.alloc(n * (h >> 1) * (w >> 1) * c);
      s.slim_avgpool2(x, n, h, w, c, y);
      return y;
    },
    avgPool2Grad(dy, [n, h, w, c]: Nhwc) {
      const dx = lib.alloc(n * h * w * c);
      s.slim_avgpool2_grad(dy, n, h, w, c, dx);
      return dx;
    },
    matMul(a, b, { m, k, n, transposeA, transposeB }) {
      const c = lib.alloc(m * n);
      s.slim_matmul(a, b, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, c);
      return c;
    },
    sgd(param, grad, buffer, hyper: SgdHyper) {
      const p = lib.alloc(param.length), b = lib.alloc(param.length);
      s.slim_sgd(
        param,
        grad,
        buffer,
        p,
        b,
        p.length,
        hyper.lr,
        hyper.momentum,
        hyper.weightDecay,
        hyper.l1,
        buffer ? 0 : 1,
        hyper.nesterov ? 1 : 0,
      );
      return { param: p, buffer: b };
    },
    dispose() {
      // Never dlclose: the worker threads (OpenMP's or the pool's) live in the library until
      // the process exits (the library pins itself anyway: see pin_library in src/common.c).
    },
  };
  return lib;
}
