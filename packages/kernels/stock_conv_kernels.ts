/**
 * tfjs's own Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter, replaced for the shapes the
 * VGG, ResNet and DenseNet layers use: 3x3 stride 1 'same' (direct or Winograd kernels) and
 * 1x1 without padding at any stride (matrix products over pixels). Other convs run stock.
 *
 * @module
 */
import {
  type Attrs,
  conv1x1Stride,
  cpu,
  isConv3x3Same,
  type KernelFamily,
  makeTensor,
  nhwc,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";
import type { Nhwc } from "./kernel_lib.ts";

const f32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === "float32");

/** The three Conv2D-family kernels. */
export const stockConvKernels: KernelFamily = (lib, stock) => ({
  Conv2D: (args) => {
    const { x, filter } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as Attrs;
    const b = cpu(args.backend);
    const [n, h, w] = x.shape;
    const cout = filter.shape[3];
    const s = conv1x1Stride(attrs, filter.shape);
    if (s && f32(x, filter)) {
      const y = lib.conv1x1(valuesOf(b, x), nhwc(x), valuesOf(b, filter), cout, s);
      return makeTensor(b, [n, Math.ceil(h / s), Math.ceil(w / s), cout], y);
    }
    if (!isConv3x3Same(attrs, filter.shape) || !f32(x, filter)) return stock("Conv2D")(args);
    const y = lib.conv3x3(valuesOf(b, x), nhwc(x), valuesOf(b, filter), cout);
    return makeTensor(b, [n, h, w, cout], y);
  },
  Conv2DBackpropInput: (args) => {
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as Attrs;
    const inputShape = attrs.inputShape as number[];
    const b = cpu(args.backend);
    const s = conv1x1Stride(attrs, filter.shape);
    const [cin, cout] = [filter.shape[2], filter.shape[3]];
    const shape = inputShape as unknown as Nhwc;
    if (s && f32(dy, filter)) {
      const dx = lib.conv1x1GradInput(valuesOf(b, dy), shape, valuesOf(b, filter), cout, s);
      return makeTensor(b, [...inputShape], dx);
    }
    if (!isConv3x3Same(attrs, filter.shape) || !f32(dy, filter) || inputShape[3] !== cin) {
      return stock("Conv2DBackpropInput")(args);
    }
    const dx = lib.conv3x3GradInput(valuesOf(b, dy), shape, valuesOf(b, filter), cout);
    return makeTensor(b, [...inputShape], dx);
  },
  Conv2DBackpropFilter: (args) => {
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as Attrs;
    const filterShape = attrs.filterShape as number[];
    const b = cpu(args.backend);
    const cout = filterShape[3];
    const s = conv1x1Stride(attrs, filterShape);
    if (s && f32(x, dy)) {
      const dw = lib.conv1x1GradFilter(valuesOf(b, x), valuesOf(b, dy), nhwc(x), cout, s);
      return makeTensor(b, [...filterShape], dw);
    }
    if (!isConv3x3Same(attrs, filterShape) || !f32(x, dy)) {
      return stock("Conv2DBackpropFilter")(args);
    }
    const dw = lib.conv3x3GradFilter(valuesOf(b, x), valuesOf(b, dy), nhwc(x), cout);
    return makeTensor(b, [...filterShape], dw);
  },
});
