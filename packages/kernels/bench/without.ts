/**
 * Turns kernel families of a running slim backend back to the stock path, to measure what
 * each family gains in one process: `bnRelu` (the fused pre-activation kernels: the ops then
 * run the stock composition) and `conv1x1` (the 1x1 Conv2D family then runs stock cpu).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED } from "@slimming/tensor-utils";

/** Families {@linkcode withoutKernels} knows. */
export const FAMILIES = ["bnRelu", "conv1x1"] as const;

/** Reverts `families` on backend `name` (which must be registered and initialised). */
export function withoutKernels(name: string, families: readonly string[]): void {
  for (const family of families) {
    if (family === "bnRelu") {
      tf.unregisterKernel(FUSED.bnRelu, name);
      tf.unregisterKernel(FUSED.affineRelu, name);
    } else if (family === "conv1x1") {
      for (const kernelName of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
        const ours = tf.getKernel(kernelName, name)!.kernelFunc;
        const stock = tf.getKernel(kernelName, "cpu")!.kernelFunc;
        tf.unregisterKernel(kernelName, name);
        tf.registerKernel({
          kernelName,
          backendName: name,
          kernelFunc: (args) => {
            const filter = (args.inputs as Record<string, tf.TensorInfo>).filter;
            const shape = filter?.shape ?? (args.attrs as { filterShape: number[] }).filterShape;
            return (shape[0] === 1 && shape[1] === 1 ? stock : ours)(args);
          },
        });
      }
    } else {
      throw new Error(`unknown kernel family ${family} (known: ${FAMILIES.join(", ")})`);
    }
  }
}
