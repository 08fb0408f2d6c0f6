/**
 * Channel selection and concatenation along the last axis (the pruned ResNet's channel
 * selection, DenseNet's concatenations): tfjs's GatherV2 (with a gradient kernel replacing the
 * stock transpose + unsorted-segment-sum backward), Concat and SplitV (the backward of Concat)
 * for float32 tensors, last axis (`KernelLib.copyColumns`: threaded C natively).
 * Other cases run the stock kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Attrs,
  cpu,
  type KernelFamily,
  makeTensor,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";

/** Kernel name of the gather's backward: inputs dy, indices; attr channels. */
export const GATHER_CHANNELS_GRAD = "SlimGatherChannelsGrad";

/** Whether `axis` (possibly negative) is the last axis of a rank-`rank` tensor. */
export function isLastAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? axis[0] : axis;
  return typeof a === "number" && rank > 0 && (a === rank - 1 || a === -1);
}

function intValues(backend: unknown, t: TensorInfo): Int32Array {
  return cpu(backend).data.get(t.dataId).values as Int32Array;
}

/** Rows of `t` along its last axis. */
const rows = (t: TensorInfo) => t.shape.slice(0, -1).reduce((p, d) => p * d, 1);

/** GatherV2, its gradient kernel, Concat and SplitV. */
export const channelKernels: KernelFamily = (lib, stock) => ({
  GatherV2: (args) => {
    const { x, indices } = args.inputs as Record<string, TensorInfo>;
    const { axis, batchDims } = args.attrs as Attrs;
    const rank = x.shape.length;
    if (
      x.dtype !== "float32" || indices.dtype !== "int32" || indices.shape.length !== 1 ||
      !isLastAxis(axis, rank) || (batchDims ?? 0) !== 0
    ) return stock("GatherV2")(args);
    const c = x.shape[rank - 1];
    const idx = intValues(args.backend, indices);
    for (const i of idx) {
      if (!(i >= 0 && i < c)) {
        throw new Error(`GatherV2: the index value ${i} is not in [0, ${c - 1}]`);
      }
    }
    const y = lib.gatherChannels(valuesOf(cpu(args.backend), x), c, idx);
    return makeTensor(args.backend, [...x.shape.slice(0, -1), idx.length], y);
  },
  [GATHER_CHANNELS_GRAD]: ({ inputs, backend, attrs }) => {
    const { dy, indices } = inputs as Record<string, TensorInfo>;
    const c = (attrs as Attrs).channels as number;
    const dx = lib.scatterChannels(valuesOf(cpu(backend), dy), intValues(backend, indices), c);
    return makeTensor(backend, [...dy.shape.slice(0, -1), c], dx);
  },
  Concat: (args) => {
    const parts = Object.values(args.inputs) as TensorInfo[];
    const rank = parts[0]?.shape.length ?? 0;
    const { axis } = args.attrs as Attrs;
    if (
      parts.length < 2 || !isLastAxis(axis, rank) ||
      parts.some((t) => t.dtype !== "float32" || t.shape.length !== rank)
    ) return stock("Concat")(args);
    const b = cpu(args.backend);
    const m = rows(parts[0]);
    const widths = parts.map((t) => t.shape[rank - 1]);
    const total = widths.reduce((p, d) => p + d, 0);
    const out = lib.alloc(m * total);
    let offset = 0;
    for (const [i, t] of parts.entries()) {
      lib.copyColumns(valuesOf(b, t), widths[i], 0, out, total, offset, widths[i]);
      offset += widths[i];
    }
    return makeTensor(b, [...parts[0].shape.slice(0, -1), total], out);
  },
  SplitV: (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { numOrSizeSplits, axis } = args.attrs as Attrs;
    const rank = x.shape.length;
    const total = x.shape[rank - 1];
    const sizes = typeof numOrSizeSplits === "number"
      ? Array(numOrSizeSplits).fill(total / numOrSizeSplits)
      : numOrSizeSplits as number[];
    if (
      x.dtype !== "float32" || !isLastAxis(axis, rank) ||
      sizes.some((k) => !(Number.isInteger(k) && k >= 0)) ||
      sizes.reduce((p, k) => p + k, 0) !== total
    ) return stock("SplitV")(args);
    const b = cpu(args.backend);
    const v = valuesOf(b, x), m = rows(x);
    let offset = 0;
    return sizes.map((k) => {
      const out = lib.alloc(m * k);
      lib.copyColumns(v, total, offset, out, k, 0, k);
      offset += k;
      return makeTensor(b, [...x.shape.slice(0, -1), k], out);
    });
  },
});

let gradientRegistered = false;

/**
 * Replaces GatherV2's gradient by one that runs {@linkcode GATHER_CHANNELS_GRAD} where the
 * active backend has it and the gather is the one the kernel takes, and tfjs's own gradient
 * otherwise (so every other backend and case is unchanged).
 */
export function registerGatherGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  const original = tf.getGradient("GatherV2");
  if (!original) throw new Error("tfjs registers no GatherV2 gradient");
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      const { axis, batchDims } = attrs as Attrs;
      const dyt = dy as tf.Tensor;
      const ours = tf.getKernel(GATHER_CHANNELS_GRAD, tf.getBackend()) !== undefined &&
        x.dtype === "float32" && indices.dtype === "int32" && indices.rank === 1 &&
        isLastAxis(axis, x.rank) && (batchDims ?? 0) === 0;
      if (!ours) return original.gradFunc(dy, saved, attrs);
      return {
        x: () =>
          tf.engine().runKernel(GATHER_CHANNELS_GRAD, { dy: dyt, indices }, {
            channels: x.shape[x.rank - 1],
          }) as tf.Tensor,
        indices: () => indices,
      };
    },
  });
}
