/**
 * The CIFAR ResNet of He et al. 2016 (basic blocks, depth 6n+2: ResNet-20, 32, 44, 56,
 * 110) for Network Slimming: the spec and its checks, initialisation, a pure NHWC forward
 * pass, parameter and FLOP counts, the {@linkcode cifarResnetOps} the training loop uses,
 * and the PyTorch state_dict form with checkpoint metadata. Network Slimming prunes each
 * block's inner channels only (bn1); the residual stream keeps its width.
 *
 * What an architecture descriptor needs: {@linkcode CIFAR_RESNET_ARCH} (name),
 * {@linkcode CIFAR_RESNET_TITLE}, {@linkcode CIFAR_RESNET_DEFAULT_DEPTH} and
 * {@linkcode CIFAR_RESNET_DEFAULT_WIDTH}, {@linkcode defaultCifarResnetSpec} and
 * {@linkcode validateCifarResnetSpec}, {@linkcode initCifarResnet},
 * {@linkcode cifarResnetSpecOf}, {@linkcode cifarResnetNumClasses}, the counts,
 * {@linkcode cifarResnetBnLabels} (the pruned layers' names), {@linkcode cifarResnetMetadata},
 * {@linkcode cifarResnetSpecFromMetadata}, {@linkcode cifarResnetToStateDict} and
 * {@linkcode cifarResnetFromStateDict}; the prune adapter
 * ({@linkcode pruneCifarResnetFromAbsGammas}) and the export graph
 * ({@linkcode cifarResnetExportGraph}). Its registry descriptor: `./info` (no tfjs) and
 * `./descriptor`.
 *
 * @module
 */
export * from "./cfg_mod.ts";
export {
  type BasicBlockParams,
  cifarResnetBatchNorms,
  cifarResnetNumClasses,
  type CifarResnetParams,
  cifarResnetSpecOf,
  cifarResnetTrainableLeaves,
  cifarResnetWithRunningStats,
  cifarResnetWithTrainable,
  initCifarBatchNorm,
  initCifarResnet,
  type InitCifarResnetOptions,
  type ProjectionParams,
  slimmedBatchNorms,
} from "./params.ts";
export { batchNorm } from "./batch_norm.ts";
export {
  basicBlock,
  cifarResnetForward,
  type ForwardOptions,
  type ForwardResult,
  type RunningStats,
} from "./forward.ts";
export { cifarResnetOps } from "./ops.ts";
export {
  cifarResnetFromStateDict,
  cifarResnetMetadata,
  cifarResnetSpecFromMetadata,
  cifarResnetToStateDict,
} from "./state_dict.ts";
export {
  CIFAR_RESNET_PASS,
  cifarResnetAbsGammas,
  type CifarResnetPruneOptions,
  type CifarResnetPruneResult,
  maskCifarResnet,
  pruneCifarResnet,
  pruneCifarResnetFromAbsGammas,
  slimCifarResnet,
} from "./prune.ts";
export {
  cifarResnetExportGraph,
  type CifarResnetExportSpec,
  cifarResnetGraphFromStateDict,
} from "./export_graph.ts";
