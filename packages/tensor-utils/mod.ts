/**
 * Parameter trees, safetensors, seeded randomness, atomic files, typed user errors and
 * the fast training kernels. Knows nothing of VGG, CIFAR or pruning.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./tree.ts";
export * from "./files.ts";
export * from "./safetensors.ts";
export * from "./ops.ts";
export * from "./kernels/select.ts";
export { isSoftwareAdapter, probeWebgpu, type WebgpuProbe } from "./kernels/webgpu/adapter.ts";
export { countLaunches, type LaunchCounts } from "./kernels/webgpu/launch_counter.ts";
export type { KernelLib, SgdHyper } from "./kernels/kernel_lib.ts";

import { quietTfjs } from "./kernels/select.ts";
// tfjs prints a "you are running in Node.js" banner and other notices to the console; a CLI
// whose output is a progress line and tables cannot have them.
quietTfjs();
