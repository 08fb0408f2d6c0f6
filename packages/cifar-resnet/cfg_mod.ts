/**
 * The tfjs-free part of `@slimming/cifar-resnet` (export path `@slimming/cifar-resnet/cfg`):
 * the architecture's name and defaults, depths, the flat cfg and its checks, labels, block
 * shapes and parameter/FLOP counts, which are plain arithmetic on a spec. Importing it loads
 * no tfjs.
 *
 * @module
 */
export {
  CIFAR_RESNET_ARCH,
  CIFAR_RESNET_DEFAULT_DEPTH,
  CIFAR_RESNET_DEFAULT_WIDTH,
  CIFAR_RESNET_PLANES,
  CIFAR_RESNET_TITLE,
  cifarBlocksPerStage,
  cifarDepthOfCfg,
  cifarResnetBlockName,
  cifarResnetBnLabels,
  type CifarResnetPlanes,
  cifarResnetPlanes,
  type CifarResnetSpec,
  defaultCifarResnetCfg,
  defaultCifarResnetSpec,
  validateCifarResnetDepth,
  validateCifarResnetSpec,
} from "./cfg.ts";
export {
  type BasicBlockShape,
  cifarResnetBlockShapes,
  countCifarResnetFlops,
  countCifarResnetParams,
} from "./counts.ts";
