/**
 * tfjs's Add for two float32 tensors of one shape (residual additions and the gradient
 * accumulation of a tensor used twice), as one plain loop: the stock kernel's per-element
 * broadcasting arithmetic costs ~10x on the large activations of a ResNet. Natively the sum
 * runs threaded in C (`src/dense_copy.c`).
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
    const x = valuesOf(be, a), y = valuesOf(be, b);
    if (lib.add && x.length > 0) return makeTensor(be, [...a.shape], lib.add(x, y));
    const out = lib.alloc(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] + y[i];
    return makeTensor(be, [...a.shape], out);
  },
});
