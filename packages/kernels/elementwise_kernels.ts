/**
 * tfjs's Add for two float32 tensors of one shape (residual additions and the gradient
 * accumulation of a tensor used twice) by `KernelLib.add` (vectorised C on threads
 * natively, a plain loop on wasm-simd): the stock kernel's per-element broadcasting
 * arithmetic costs ~10x on the large activations of a ResNet.
 *
 * @module
 */
import { cpu, type KernelFamily, makeTensor, type TensorInfo, valuesOf } from "./backend_util.ts";

const sameShape = (a: TensorInfo, b: TensorInfo) =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** Add. */
export const elementwiseKernels: KernelFamily = (lib, stock) => ({
  Add: (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    if (a.dtype !== "float32" || b.dtype !== "float32" || !sameShape(a, b)) {
      return stock("Add")(args);
    }
    const be = cpu(args.backend);
    return makeTensor(be, [...a.shape], lib.add(valuesOf(be, a), valuesOf(be, b)));
  },
});
