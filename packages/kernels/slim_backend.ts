/**
 * A tfjs backend whose hot kernels are a {@linkcode KernelLib}: the stock `cpu` backend
 * (tensors are typed arrays, output buffers pooled; on wasm-simd views of the module's memory)
 * with the fused VGG and pre-activation kernels added (and, where the lib has them, BN without
 * ReLU and the residual add -> ReLU: `bn_kernels.ts`) and the convolution, pooling, channel
 * gather/concatenation, same-shape
 * addition, broadcasting subtraction/multiplication/division and the head's matmul kernels
 * replaced. Every other op falls through to the stock cpu kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Kernel, KernelTable, StockKernels } from "./backend_util.ts";
import { bnKernels, registerBnGradients } from "./bn_kernels.ts";
import { broadcastKernels } from "./broadcast_kernels.ts";
import { channelKernels, registerGatherGradient } from "./channel_kernels.ts";
import { fusedConvKernels } from "./conv_kernels.ts";
import { elementwiseKernels } from "./elementwise_kernels.ts";
import { registerFusedGradients } from "./fused_gradients.ts";
import { headKernels } from "./head_kernels.ts";
import type { KernelLib } from "./kernel_lib.ts";
import { PooledCpuBackend } from "./pooled_cpu_backend.ts";
import { poolKernels } from "./pool_kernels.ts";
import { preactKernels } from "./preact_kernels.ts";
import { sgdKernel } from "./sgd_kernel.ts";
import { stockConvKernels } from "./stock_conv_kernels.ts";

/** The fused and replacement kernels for a backend backed by `lib`, by family. */
export function slimKernels(lib: KernelLib, stock: StockKernels): KernelTable {
  return {
    ...fusedConvKernels(lib, stock),
    ...stockConvKernels(lib, stock),
    ...preactKernels(lib, stock),
    ...bnKernels(lib, stock),
    ...channelKernels(lib, stock),
    ...elementwiseKernels(lib, stock),
    ...broadcastKernels(lib, stock),
    ...poolKernels(lib, stock),
    ...headKernels(lib, stock),
    ...sgdKernel(lib, stock),
  };
}

/**
 * Registers a tfjs backend named `lib.name`: every stock cpu kernel, then the fused and
 * replacement kernels of `lib`. Idempotent per name.
 */
export function registerSlimBackend(lib: KernelLib, priority = 0): void {
  registerFusedGradients();
  registerBnGradients();
  registerGatherGradient();
  if (tf.findBackendFactory(lib.name)) return;
  tf.registerBackend(lib.name, () => {
    const backend = new PooledCpuBackend(undefined, lib.arena);
    lib.alloc = (length) => backend.allocate(length);
    return backend;
  }, priority);
  const stockKernels = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const stock = (name: string): Kernel => {
    const k = stockKernels.get(name);
    if (!k) throw new Error(`no stock cpu kernel ${name}`);
    return k.kernelFunc;
  };
  const ours = slimKernels(lib, stock);
  for (const k of stockKernels.values()) {
    if (!(k.kernelName in ours)) tf.registerKernel({ ...k, backendName: lib.name });
  }
  for (const [kernelName, kernelFunc] of Object.entries(ours)) {
    tf.registerKernel({ kernelName, backendName: lib.name, kernelFunc });
  }
}
