/**
 * The convolution family's fused kernels: the conv3x3 -> BN -> ReLU forward, its BN + ReLU
 * and conv backward kernels, and the inference conv -> affine -> ReLU.
 *
 * @module
 */
import { FUSED } from "@slimming/tensor-utils";
import {
  type Attrs,
  cpu,
  type KernelFamily,
  makeTensor,
  nhwc,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";
import type { KernelLib } from "./kernel_lib.ts";

/** PyTorch's running statistics: momentum average, unbiased variance (into pooled arrays). */
export function runningStats(
  lib: KernelLib,
  previous: { mean: Float32Array; variance: Float32Array },
  batch: { mean: Float32Array; variance: Float32Array },
  count: number,
  momentum: number,
): { mean: Float32Array; variance: Float32Array } {
  const channels = batch.mean.length;
  const unbias = count > 1 ? count / (count - 1) : 1;
  const mean = lib.alloc(channels), variance = lib.alloc(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = (1 - momentum) * previous.mean[c] + momentum * batch.mean[c];
    variance[c] = (1 - momentum) * previous.variance[c] + momentum * (batch.variance[c] * unbias);
  }
  return { mean, variance };
}

/** The fused training and inference kernels of the VGG block (one short kernel each). */
export const fusedConvKernels: KernelFamily = (lib) => ({
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
    const next = runningStats(
      lib,
      { mean: valuesOf(b, runningMean), variance: valuesOf(b, runningVar) },
      out,
      x.shape[0] * x.shape[1] * x.shape[2],
      (attrs as Attrs).momentum as number,
    );
    const shape = [x.shape[0], x.shape[1], x.shape[2], cout];
    return [
      makeTensor(b, shape, out.y),
      makeTensor(b, shape, out.z),
      makeTensor(b, [cout], out.mean),
      makeTensor(b, [cout], out.variance),
      makeTensor(b, [cout], next.mean),
      makeTensor(b, [cout], next.variance),
    ];
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
    return [
      makeTensor(b, [...z.shape], out.dz),
      makeTensor(b, [c], out.dgamma),
      makeTensor(b, [c], out.dbeta),
    ];
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
    return makeTensor(b, [n, h, w, cin], dx);
  },
  [FUSED.conv3x3GradFilter]: ({ inputs, backend }) => {
    const { x, dz } = inputs as Record<string, TensorInfo>;
    const b = cpu(backend);
    const cout = dz.shape[3];
    const dw = lib.conv3x3GradFilter(valuesOf(b, x), valuesOf(b, dz), nhwc(x), cout);
    return makeTensor(b, [3, 3, x.shape[3], cout], dw);
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
    return makeTensor(b, [x.shape[0], x.shape[1], x.shape[2], cout], y);
  },
});
