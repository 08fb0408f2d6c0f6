/**
 * VGG with batch norm for CIFAR, as in the Network Slimming reference's `models/vgg.py`:
 * cfg lists, initialisation, a pure forward pass, parameter and FLOP counts, and the
 * PyTorch state_dict form of the parameters.
 *
 * @module
 */
export * from "./cfg.ts";
export * from "./params.ts";
export * from "./forward.ts";
export * from "./counts.ts";
export * from "./state_dict.ts";
export * from "./ops.ts";
