/**
 * Pre-activation bottleneck ResNet for CIFAR with channel selection, as in the Network
 * Slimming reference's `models/preresnet.py` and `models/channel_selection.py`: the flat
 * cfg and its checks, initialisation, a pure forward pass, parameter and FLOP counts, the
 * {@linkcode resnetOps} the training loop uses, and the PyTorch state_dict form.
 *
 * @module
 */
export * from "./cfg_mod.ts";
export {
  batchNorms,
  blockName,
  type BottleneckParams,
  initBatchNorm,
  initResnet,
  type InitResnetOptions,
  type ResnetParams,
  trainableLeaves,
  withRunningStats,
  withTrainable,
} from "./params.ts";
export {
  bnSelectRelu,
  bottleneck,
  forward,
  type ForwardOptions,
  type ForwardResult,
  type RunningStats,
} from "./forward.ts";
export { resnetOps } from "./ops.ts";
export {
  fromStateDict,
  resnetCheckpointMetadata,
  resnetShapeFromMetadata,
  toStateDict,
} from "./state_dict.ts";
export {
  maskResnetParams,
  pruneResnet,
  pruneResnetFromAbsGammas,
  pruneResnetWithMasks,
  resnetLiveAbsGammas,
  type ResnetPruneOptions,
  type ResnetPruneResult,
} from "./prune.ts";
export {
  resnetExportGraph,
  type ResnetExportSpec,
  resnetGraphFromStateDict,
} from "./export_graph.ts";
