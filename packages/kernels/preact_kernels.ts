/**
 * The pre-activation layer's kernels: training BN (batch statistics) -> ReLU with its running
 * statistics, and the inference per-channel affine -> ReLU. (The training backward is
 * {@linkcode FUSED.bnReluGrad} with z = x, registered in `fused_gradients.ts`.)
 *
 * @module
 */
import { FUSED } from "@slimming/tensor-utils";
import {
  type Attrs,
  cpu,
  type KernelFamily,
  makeTensor,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";
import { runningStats } from "./conv_kernels.ts";

/** SlimBnRelu and SlimAffineRelu. */
export const preactKernels: KernelFamily = (lib) => ({
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
