/**
 * The classifier head's kernel: tfjs's BatchMatMul, replaced for float32 products with a
 * batch of one (the linear layer and its two transposed gradients).
 *
 * @module
 */
import { cpu, type KernelFamily, makeTensor, type TensorInfo, valuesOf } from "./backend_util.ts";

/** BatchMatMul. */
export const headKernels: KernelFamily = (lib, stock) => ({
  BatchMatMul: (args) => {
    const { a, b: bm } = args.inputs as Record<string, TensorInfo>;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const batch = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    if (a.dtype !== "float32" || bm.dtype !== "float32" || batch(a) !== 1 || batch(bm) !== 1) {
      return stock("BatchMatMul")(args);
    }
    const b = cpu(args.backend);
    const [ar, ac] = a.shape.slice(-2), [br, bc] = bm.shape.slice(-2);
    const m = transposeA ? ac : ar, k = transposeA ? ar : ac, n = transposeB ? br : bc;
    const c = lib.matMul(valuesOf(b, a), valuesOf(b, bm), { m, k, n, transposeA, transposeB });
    const rank = Math.max(a.shape.length, bm.shape.length);
    return makeTensor(b, rank === 3 ? [1, m, n] : [m, n], c);
  },
});
