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
