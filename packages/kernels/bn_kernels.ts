/**
 * Batch norm without a ReLU (training forward with batch statistics and running-statistics
 * update, and its backward) and the residual add -> ReLU with its backward, on a
 * {@linkcode KernelLib} that has them (the native build: `src/bn.c`); a lib without them (the
 * WebAssembly build) registers none, so the ops of `@slimming/tensor-utils` fall back to their
 * stock compositions there.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
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

const sameShape = (a: TensorInfo, b: TensorInfo) =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

function checkSameShape(name: string, a: TensorInfo, b: TensorInfo): void {
  if (!sameShape(a, b)) {
    throw new TypeError(`${name} takes two tensors of one shape, got [${a.shape}], [${b.shape}]`);
  }
}

/** SlimBn, SlimBnGrad, SlimAddRelu and SlimReluGrad, where `lib` has them. */
export const bnKernels: KernelFamily = (lib) => {
  const { bn, bnGrad, addRelu, reluGrad } = lib;
  const table: ReturnType<KernelFamily> = {};
  if (bn && bnGrad) {
    table[FUSED.bn] = ({ inputs, backend, attrs }) => {
      const { x, gamma, beta, runningMean, runningVar } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const c = x.shape[x.shape.length - 1];
      const { eps, momentum } = attrs as Attrs as { eps: number; momentum: number };
      const out = bn.call(lib, valuesOf(b, x), c, valuesOf(b, gamma), valuesOf(b, beta), eps);
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
    };
    table[FUSED.bnGrad] = ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, mean, variance } = inputs as Record<string, TensorInfo>;
      const b = cpu(backend);
      const c = x.shape[x.shape.length - 1];
      const out = bnGrad.call(
        lib,
        valuesOf(b, dy),
        valuesOf(b, x),
        c,
        valuesOf(b, gamma),
        valuesOf(b, mean),
        valuesOf(b, variance),
        (attrs as Attrs).eps as number,
      );
      return [
        makeTensor(b, [...x.shape], out.dz),
        makeTensor(b, [c], out.dgamma),
        makeTensor(b, [c], out.dbeta),
      ];
    };
  }
  if (addRelu && reluGrad) {
    table[FUSED.addRelu] = ({ inputs, backend }) => {
      const { a, b } = inputs as Record<string, TensorInfo>;
      checkSameShape(FUSED.addRelu, a, b);
      const be = cpu(backend);
      return makeTensor(be, [...a.shape], addRelu.call(lib, valuesOf(be, a), valuesOf(be, b)));
    };
    table[FUSED.reluGrad] = ({ inputs, backend }) => {
      const { dy, y } = inputs as Record<string, TensorInfo>;
      checkSameShape(FUSED.reluGrad, dy, y);
      const be = cpu(backend);
      return makeTensor(be, [...y.shape], reluGrad.call(lib, valuesOf(be, dy), valuesOf(be, y)));
    };
  }
  return table;
};

let gradientsRegistered = false;

/** Registers the gradients of SlimBn and SlimAddRelu (backend independent, once per process). */
export function registerBnGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: FUSED.bn,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true, false, false],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, gamma, mean, variance] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        FUSED.bnGrad,
        { dy, x, gamma, mean, variance },
        { eps: attrs.eps as number },
      ) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerGradient({
    kernelName: FUSED.addRelu,
    outputsToSave: [true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const g = tf.engine().runKernel(FUSED.reluGrad, { dy, y: saved[0] }, {}) as tf.Tensor;
      // Two handles on one buffer: the tape disposes each input's gradient on its own.
      return { a: () => g, b: () => tf.clone(g) };
    },
  });
}
