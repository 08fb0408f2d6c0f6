/**
 * DenseNet for CIFAR with channel selection, as in the Network Slimming reference's
 * `models/densenet.py` (basic BN-ReLU-conv3x3 layers, no bottleneck, compression 1):
 * flat cfg lists, initialisation, a pure forward pass, parameter and FLOP counts, the
 * {@linkcode densenetOps} for the training loop, and the PyTorch state_dict form.
 *
 * @module
 */
export * from "./cfg.ts";
export * from "./counts.ts";
export * from "./params.ts";
export { forward, selectChannels } from "./forward.ts";
export * from "./state_dict.ts";
export { densenetOps } from "./ops.ts";
export {
  densenetAbsGammas,
  densenetAbsGammasAsync,
  densenetDecision,
  type DensenetPruneOptions,
  type DensenetPruneReport,
  type DensenetPruneResult,
  maskDensenet,
  pruneDensenet,
  pruneDensenetFromAbsGammas,
  slimDensenet,
} from "./prune.ts";
export {
  densenetExportGraph,
  type DensenetExportSpec,
  densenetGraphFromStateDict,
} from "./export_graph.ts";
