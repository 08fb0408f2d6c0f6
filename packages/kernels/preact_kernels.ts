/**
 * The pre-activation layer's kernels: training BN (batch statistics) -> ReLU with its running
 * statistics, the inference per-channel affine -> ReLU, and the training BN -> ReLU -> 1x1
 * conv that never stores the activation, with its filter gradient. (The training backwards
 * are in `fused_gradients.ts`: {@linkcode FUSED.bnReluGrad} with z = x.)
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
import { runningStats } from "./conv_kernels.ts";

/** SlimBnRelu, SlimAffineRelu, SlimBnReluConv1x1 and its filter gradient. */
export const preactKernels: KernelFamily = (lib) => ({
  [FUSED.bnReluConv1x1]: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, runningMean, runningVar, weight } = inputs as Record<
      string,
      TensorInfo
    >;
    const b = cpu(backend);
    const { eps, momentum } = attrs as Attrs as { eps: number; momentum: number };
    const c = x.shape[3], cout = weight.shape[3];
    const out = lib.bnReluConv1x1(
      valuesOf(b, x),
      nhwc(x),
      valuesOf(b, gamma),
      valuesOf(b, beta),
      eps,
      valuesOf(b, weight),
      cout,
    );
    const next = runningStats(
      lib,
      { mean: valuesOf(b, runningMean), variance: valuesOf(b, runningVar) },
      out,
      x.shape[0] * x.shape[1] * x.shape[2],
      momentum,
    );
    return [
      makeTensor(b, [x.shape[0], x.shape[1], x.shape[2], cout], out.y),
      makeTensor(b, [c], out.mean),
      makeTensor(b, [c], out.variance),
      makeTensor(b, [c], next.mean),
      makeTensor(b, [c], next.variance),
    ];
  },
  [FUSED.conv1x1GradFilterBnRelu]: ({ inputs, backend, attrs }) => {
    const { x, dy, gamma, beta, mean, variance } = inputs as Record<string, TensorInfo>;
    const b = cpu(backend);
    const cout = dy.shape[3];
    const dw = lib.conv1x1GradFilterBnRelu(
      valuesOf(b, x),
      valuesOf(b, dy),
      nhwc(x),
      cout,
      valuesOf(b, gamma),
      valuesOf(b, beta),
      valuesOf(b, mean),
      valuesOf(b, variance),
      (attrs as Attrs).eps as number,
    );
    return makeTensor(b, [1, 1, x.shape[3], cout], dw);
  },
  [FUSED.bnRelu]: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, runningMean, runningVar } = inputs as Record<string, TensorInfo>;
    const b = cpu(backend);
    const c = x.shape[x.shape.length - 1];
    const { eps, momentum } = attrs as Attrs as { eps: number; momentum: number };
    const out = lib.bnRelu(valuesOf(b, x), c, valuesOf(b, gamma), valuesOf(b, beta), eps);
    const next = runningStats(
      lib,
      { mean: valuesOf(b, runningMean), variance: valuesOf(b, runningVar) },
      out,
      x.shape.slice(0, -1).reduce((p, d) => p * d, 1),
      momentum,
    );
    return [
      makeTensor(b, [...x.shape], out.y),
      makeTensor(b, [c], out.mean),
      makeTensor(b, [c], out.variance),
      makeTensor(b, [c], next.mean),
      makeTensor(b, [c], next.variance),
    ];
  },
  [FUSED.affineRelu]: ({ inputs, backend }) => {
    const { x, scale, shift } = inputs as Record<string, TensorInfo>;
    const b = cpu(backend);
    const y = lib.affineRelu(valuesOf(b, x), valuesOf(b, scale), valuesOf(b, shift));
    return makeTensor(b, [...x.shape], y);
  },
});
