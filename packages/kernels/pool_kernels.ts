/**
 * The pooling family's kernels: tfjs's MaxPool, AvgPool and their gradients, replaced for
 * the 2x2, stride 2, 'valid' case, and AvgPool for global pooling (other shapes and dtypes go
 * to the stock cpu kernels).
 *
 * @module
 */
import {
  type Attrs,
  cpu,
  isPool2x2,
  type KernelFamily,
  makeTensor,
  nhwc,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";
import { globalAvgPool, globalAvgPoolGrad, isGlobalPool } from "./global_pool.ts";

/** MaxPool, MaxPoolGrad, AvgPool and AvgPoolGrad. */
export const poolKernels: KernelFamily = (lib, stock) => ({
  MaxPool: (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!isPool2x2(args.attrs as Attrs) || x.dtype !== "float32") return stock("MaxPool")(args);
    const b = cpu(args.backend);
    const [n, h, w, c] = nhwc(x);
    return makeTensor(b, [n, h >> 1, w >> 1, c], lib.maxPool2(valuesOf(b, x), [n, h, w, c]));
  },
  MaxPoolGrad: (args) => {
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    if (!isPool2x2(args.attrs as Attrs)) return stock("MaxPoolGrad")(args);
    const b = cpu(args.backend);
    const dx = lib.maxPool2Grad(valuesOf(b, input), valuesOf(b, dy), nhwc(input));
    return makeTensor(b, [...input.shape], dx);
  },
  AvgPool: (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const global = isGlobalPool(args.attrs as Attrs, nhwc(x)) && !isPool2x2(args.attrs as Attrs);
    if (x.dtype === "float32" && global) {
      const b = cpu(args.backend);
      const y = lib.alloc(x.shape[0] * x.shape[3]);
      globalAvgPool(valuesOf(b, x), nhwc(x), y);
      return makeTensor(b, [x.shape[0], 1, 1, x.shape[3]], y);
    }
    if (!isPool2x2(args.attrs as Attrs) || x.dtype !== "float32") return stock("AvgPool")(args);
    const b = cpu(args.backend);
    const [n, h, w, c] = nhwc(x);
    return makeTensor(b, [n, h >> 1, w >> 1, c], lib.avgPool2(valuesOf(b, x), [n, h, w, c]));
  },
  AvgPoolGrad: (args) => {
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    const global = isGlobalPool(args.attrs as Attrs, nhwc(input)) &&
      !isPool2x2(args.attrs as Attrs);
    if (dy.dtype === "float32" && global) {
      const b = cpu(args.backend);
      const dx = lib.alloc(input.shape.reduce((p, d) => p * d, 1));
      globalAvgPoolGrad(valuesOf(b, dy), nhwc(input), dx);
      return makeTensor(b, [...input.shape], dx);
    }
    if (!isPool2x2(args.attrs as Attrs)) return stock("AvgPoolGrad")(args);
    const b = cpu(args.backend);
    return makeTensor(b, [...input.shape], lib.avgPool2Grad(valuesOf(b, dy), nhwc(input)));
  },
});
