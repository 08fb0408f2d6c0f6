/**
 * Turns kernel families of a running slim backend back to the stock path, to measure what
 * each family gains in one process: `bnRelu` (the fused pre-activation kernels: `bnRelu` then
 * runs the stock composition), `conv1x1` (1x1 convs), `convPatches` (convs other than 1x1 and
 * 3x3 stride 1 'same'), `channels` (gather, concat and split along the last axis) and
 * `addPool` (same-shape Add and average pooling).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED } from "@slimming/tensor-utils";
import { type Attrs, isConv3x3Same } from "../backend_util.ts";
import { GATHER_CHANNELS_GRAD } from "../channel_kernels.ts";

/** Families {@linkcode withoutKernels} knows. */
export const FAMILIES = ["bnRelu", "conv1x1", "convPatches", "channels", "addPool"] as const;

const CONVS = ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"];

/** Sends the convs `stockWhen` picks (by filter shape and attrs) to the stock cpu kernels. */
function stockConvsWhen(name: string, stockWhen: (shape: number[], attrs: Attrs) => boolean) {
  for (const kernelName of CONVS) {
    const ours = tf.getKernel(kernelName, name)!.kernelFunc;
    const stock = tf.getKernel(kernelName, "cpu")!.kernelFunc;
    tf.unregisterKernel(kernelName, name);
    tf.registerKernel({
      kernelName,
      backendName: name,
      kernelFunc: (args) => {
        const attrs = args.attrs as Attrs;
        const filter = (args.inputs as Record<string, tf.TensorInfo>).filter;
        const shape = filter?.shape ?? (attrs.filterShape as number[]);
        return (stockWhen(shape, attrs) ? stock : ours)(args);
      },
    });
  }
}

/** Registers the stock cpu kernels of `names` on backend `name`. */
function stockKernels(name: string, names: string[]) {
  for (const kernelName of names) {
    tf.unregisterKernel(kernelName, name);
    tf.registerKernel({ ...tf.getKernel(kernelName, "cpu")!, backendName: name });
  }
}

const isOneByOne = (shape: number[]) => shape[0] === 1 && shape[1] === 1;

/** Reverts `families` on backend `name` (which must be registered and initialised). */
export function withoutKernels(name: string, families: readonly string[]): void {
  for (const family of families) {
    if (family === "bnRelu") {
      tf.unregisterKernel(FUSED.bnRelu, name);
      tf.unregisterKernel(FUSED.affineRelu, name);
    } else if (family === "conv1x1") {
      stockConvsWhen(name, isOneByOne);
    } else if (family === "convPatches") {
      stockConvsWhen(name, (shape, attrs) => !isOneByOne(shape) && !isConv3x3Same(attrs, shape));
    } else if (family === "channels") {
      stockKernels(name, ["GatherV2", "Concat", "SplitV"]);
      tf.unregisterKernel(GATHER_CHANNELS_GRAD, name);
    } else if (family === "addPool") {
      stockKernels(name, ["Add", "AvgPool", "AvgPoolGrad"]);
    } else {
      throw new Error(`unknown kernel family ${family} (known: ${FAMILIES.join(", ")})`);
    }
  }
}
