/**
 * Our WGSL kernels registered on the tfjs `webgpu` backend under the fused kernel names of
 * `ops.ts` (the way `slim_backend.ts` adds the C kernels to the cpu-derived backends), so
 * `--backend webgpu` trains on them while every other op stays stock tfjs-webgpu.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED } from "@slimming/tensor-utils";
import { registerFusedGradients } from "../fused_gradients.ts";
import {
  convForwardShader,
  convGradFilterShader,
  convGradInputShader,
  filterGradSplits,
  type GemmShader,
  type Nhwc,
  sumSplitsWgsl,
} from "./conv_wgsl.ts";
import { gemmGroups } from "./gemm_wgsl.ts";
import {
  bnApplyWgsl,
  bnGradApplyWgsl,
  bnGradCoefWgsl,
  bnGradSumsWgsl,
  bnStatsWgsl,
  elementGroups,
  sgdWgsl,
} from "./bn_wgsl.ts";
import { dispatch, type GpuBackend, newOutput, setSubmitBatch } from "./runtime.ts";

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type Kernel = tf.KernelConfig["kernelFunc"];

/** Generated shader texts, by kind and shape (generation is cheap; this saves the strings). */
const shaders = new Map<string, GemmShader | string>();

function cached<T extends GemmShader | string>(key: string, make: () => T): T {
  let s = shaders.get(key) as T | undefined;
  if (!s) shaders.set(key, s = make());
  return s;
}

const nhwc = (t: TensorInfo): Nhwc => [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];

function runGemm(
  backend: GpuBackend,
  shader: GemmShader,
  inputs: TensorInfo[],
  output: TensorInfo,
): void {
  dispatch(backend, {
    code: shader.code,
    inputs,
    outputs: [output],
    groups: gemmGroups(shader.spec, shader.tiles),
  });
}

function conv(backend: GpuBackend, x: TensorInfo, weight: TensorInfo): TensorInfo {
  const shape = nhwc(x), cout = weight.shape[3];
  const shader = cached(`fwd ${shape} ${cout}`, () => convForwardShader(shape, cout));
  const z = newOutput(backend, [shape[0], shape[1], shape[2], cout]);
  runGemm(backend, shader, [x, weight], z);
  return z;
}

function convBnRelu(backend: GpuBackend, inputs: Record<string, TensorInfo>, attrs: Attrs) {
  const { x, weight, gamma, beta, runningMean, runningVar } = inputs;
  const z = conv(backend, x, weight);
  const c = weight.shape[3], m = x.shape[0] * x.shape[1] * x.shape[2];
  const [mean, variance, rm, rv] = [0, 1, 2, 3].map(() => newOutput(backend, [c]));
  dispatch(backend, {
    code: cached(`stats ${m} ${c}`, () => bnStatsWgsl(m, c)),
    inputs: [z, runningMean, runningVar],
    outputs: [mean, variance, rm, rv],
    uniform: [attrs.momentum as number],
    groups: [c, 1, 1],
  });
  const y = newOutput(backend, [...z.shape]);
  dispatch(backend, {
    code: cached(`apply ${m * c} ${c}`, () => bnApplyWgsl(m * c, c)),
    inputs: [z, gamma, beta, mean, variance],
    outputs: [y],
    uniform: [attrs.eps as number],
    groups: elementGroups(m * c),
  });
  return [y, z, mean, variance, rm, rv];
}

function bnReluGrad(backend: GpuBackend, inputs: Record<string, TensorInfo>, attrs: Attrs) {
  const { dy, z, gamma, beta, mean, variance } = inputs;
  const c = z.shape[z.shape.length - 1], size = z.shape.reduce((a, b) => a * b, 1);
  const m = size / c;
  const eps = attrs.eps as number;
  const dgamma = newOutput(backend, [c]), dbeta = newOutput(backend, [c]);
  dispatch(backend, {
    code: cached(`gsum ${m} ${c}`, () => bnGradSumsWgsl(m, c)),
    inputs: [dy, z, gamma, beta, mean, variance],
    outputs: [dgamma, dbeta],
    uniform: [eps],
    groups: [c, 1, 1],
  });
  const coef = newOutput(backend, [5 * c]);
  dispatch(backend, {
    code: cached(`gcoef ${m} ${c}`, () => bnGradCoefWgsl(m, c)),
    inputs: [gamma, beta, mean, variance, dgamma, dbeta],
    outputs: [coef],
    uniform: [eps],
    groups: [Math.ceil(c / 64), 1, 1],
  });
  const dz = newOutput(backend, [...z.shape]);
  dispatch(backend, {
    code: cached(`gapply ${size} ${c}`, () => bnGradApplyWgsl(size, c)),
    inputs: [dy, z, coef],
    outputs: [dz],
    groups: elementGroups(size),
  });
  backend.disposeData(coef.dataId);
  return [dz, dgamma, dbeta];
}

function gradInput(backend: GpuBackend, dz: TensorInfo, weight: TensorInfo): TensorInfo {
  const [n, h, w] = dz.shape, cin = weight.shape[2], cout = weight.shape[3];
  const shape: Nhwc = [n, h, w, cin];
  const shader = cached(`gin ${shape} ${cout}`, () => convGradInputShader(shape, cout));
  const dx = newOutput(backend, [...shape]);
  runGemm(backend, shader, [dz, weight], dx);
  return dx;
}

function gradFilter(backend: GpuBackend, x: TensorInfo, dz: TensorInfo): TensorInfo {
  const shape = nhwc(x), cout = dz.shape[3];
  const splits = filterGradSplits(shape, cout);
  const shader = cached(
    `gfilter ${shape} ${cout} ${splits}`,
    () => convGradFilterShader(shape, cout, splits),
  );
  const size = 9 * shape[3] * cout;
  const dw = newOutput(backend, [3, 3, shape[3], cout]);
  if (splits === 1) {
    runGemm(backend, shader, [x, dz], dw);
    return dw;
  }
  const part = newOutput(backend, [splits * size]);
  runGemm(backend, shader, [x, dz], part);
  dispatch(backend, {
    code: cached(`sum ${size} ${splits}`, () => sumSplitsWgsl(size, splits)),
    inputs: [part],
    outputs: [dw],
    groups: [Math.ceil(size / 64), 1, 1],
  });
  backend.disposeData(part.dataId);
  return dw;
}

function convAffineRelu(backend: GpuBackend, inputs: Record<string, TensorInfo>): TensorInfo {
  const { x, weight, scale, shift } = inputs;
  const shape = nhwc(x), cout = weight.shape[3];
  const shader = cached(
    `affine ${shape} ${cout}`,
    () =>
      convForwardShader(shape, cout, "max(0.0, fma(v, scale[n], shift[n]))", ["scale", "shift"]),
  );
  const y = newOutput(backend, [shape[0], shape[1], shape[2], cout]);
  runGemm(backend, shader, [x, weight, scale, shift], y);
  return y;
}

function sgd(backend: GpuBackend, named: Record<string, TensorInfo>, a: Attrs): TensorInfo[] {
  const count = a.count as number, l1 = a.l1 as number[], first = Boolean(a.first);
  const params: TensorInfo[] = [], buffers: TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const p = named[`param${i}`], g = named[`grad${i}`];
    const size = p.shape.reduce((x, y) => x * y, 1);
    const np = newOutput(backend, [...p.shape]), nb = newOutput(backend, [...p.shape]);
    dispatch(backend, {
      code: cached(`sgd ${size} ${first}`, () => sgdWgsl(size, first)),
      inputs: first ? [p, g] : [p, g, named[`buffer${i}`]],
      outputs: [np, nb],
      uniform: [a.lr as number, a.momentum as number, a.weightDecay as number, l1[i]],
      groups: elementGroups(size),
    });
    params.push(np);
    buffers.push(nb);
  }
  return [...params, ...buffers];
}

/** The kernels, by fused kernel name. */
export function webgpuKernels(): Record<string, Kernel> {
  const gpu = (backend: unknown) => backend as GpuBackend;
  const ins = (inputs: unknown) => inputs as Record<string, TensorInfo>;
  return {
    [FUSED.convBnRelu]: ({ inputs, backend, attrs }) =>
      convBnRelu(gpu(backend), ins(inputs), attrs as Attrs),
    [FUSED.bnReluGrad]: ({ inputs, backend, attrs }) =>
      bnReluGrad(gpu(backend), ins(inputs), attrs as Attrs),
    [FUSED.conv3x3GradInput]: ({ inputs, backend }) =>
      gradInput(gpu(backend), ins(inputs).dz, ins(inputs).weight),
    [FUSED.conv3x3GradFilter]: ({ inputs, backend }) =>
      gradFilter(gpu(backend), ins(inputs).x, ins(inputs).dz),
    [FUSED.convAffineRelu]: ({ inputs, backend }) => convAffineRelu(gpu(backend), ins(inputs)),
    [FUSED.sgd]: ({ inputs, backend, attrs }) => sgd(gpu(backend), ins(inputs), attrs as Attrs),
  };
}

let registered = false;

/**
 * Registers our kernels on tfjs's `webgpu` backend (once per process) and records
 * `submitBatch` dispatches per submit on it (ours and the stock kernels').
 */
export function registerWebgpuKernels(submitBatch = 64): void {
  setSubmitBatch(submitBatch);
  tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", submitBatch);
  if (registered) return;
  registered = true;
  registerFusedGradients();
  for (const [kernelName, kernelFunc] of Object.entries(webgpuKernels())) {
    tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
  }
}
