/**
 * VGG with batch norm for CIFAR, as in the Network Slimming reference's `models/vgg.py`:
 * cfg lists, initialisation, a pure forward pass, parameter and FLOP counts, the PyTorch
 * state_dict form of the parameters, and its Network Slimming pruning (`vggprune.py`).
 *
 * @module
 */
export * from "./cfg.ts";
export * from "./params.ts";
export * from "./forward.ts";
export * from "./counts.ts";
export * from "./state_dict.ts";
export * from "./ops.ts";
export * from "./prune.ts";
export * from "./prune_passes.ts";
export * from "./mask_params.ts";
export * from "./export_chain.ts";
