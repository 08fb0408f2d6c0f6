/**
 * tfjs's own Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter, replaced: 3x3 stride 1
 * 'same' by the direct or Winograd kernels, 1x1 without padding (any stride) by matrix products
 * over pixels, and any other float32 NHWC conv without dilation and with one stride both ways
 * (e.g. 3x3 stride 2) by patches (im2col). Everything else runs the stock kernels.
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
import * as tf from "@tensorflow/tfjs";
import type { ConvGeometry, Nhwc } from "./kernel_lib.ts";

/**
 * The geometry of a conv the patch kernels take (NHWC, no dilation, one stride both ways), or
 * undefined; computed as tfjs does (its padding rules, 'same' included).
 */
function patchGeometry(
  attrs: Attrs,
  inShape: readonly number[],
  filterShape: readonly number[],
): ConvGeometry | undefined {
  const pair = (v: unknown) => Array.isArray(v) ? v : [v, v];
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  if (sh !== sw || dh !== 1 || dw !== 1 || (attrs.dataFormat ?? "NHWC") !== "NHWC") return;
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    sh as number,
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  const [n, h, w, cin] = inShape;
  if (info.padInfo.top < 0 || info.padInfo.left < 0) return;
  return {
    n,
    h,
    w,
    cin,
    kh: filterShape[0],
    kw: filterShape[1],
    cout: filterShape[3],
    stride: sh as number,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    ho: info.outHeight,
    wo: info.outWidth,
  };
}

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
    if (!f32(x, filter)) return stock("Conv2D")(args);
    if (isConv3x3Same(attrs, filter.shape)) {
      const y = lib.conv3x3(valuesOf(b, x), nhwc(x), valuesOf(b, filter), cout);
      return makeTensor(b, [n, h, w, cout], y);
    }
    const g = patchGeometry(attrs, x.shape, filter.shape);
    if (!g) return stock("Conv2D")(args);
    const y = lib.convPatches(valuesOf(b, x), valuesOf(b, filter), g);
    return makeTensor(b, [n, g.ho, g.wo, cout], y);
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
    if (!f32(dy, filter) || inputShape[3] !== cin) return stock("Conv2DBackpropInput")(args);
    if (isConv3x3Same(attrs, filter.shape)) {
      const dx = lib.conv3x3GradInput(valuesOf(b, dy), shape, valuesOf(b, filter), cout);
      return makeTensor(b, [...inputShape], dx);
    }
    const g = patchGeometry(attrs, inputShape, filter.shape);
    if (!g) return stock("Conv2DBackpropInput")(args);
    const dx = lib.convPatchesGradInput(valuesOf(b, dy), valuesOf(b, filter), g);
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
    if (!f32(x, dy)) return stock("Conv2DBackpropFilter")(args);
    if (isConv3x3Same(attrs, filterShape)) {
      const dw = lib.conv3x3GradFilter(valuesOf(b, x), valuesOf(b, dy), nhwc(x), cout);
      return makeTensor(b, [...filterShape], dw);
    }
    const g = patchGeometry(attrs, x.shape, filterShape);
    if (!g) return stock("Conv2DBackpropFilter")(args);
    const dw = lib.convPatchesGradFilter(valuesOf(b, x), valuesOf(b, dy), g);
    return makeTensor(b, [...filterShape], dw);
  },
});
