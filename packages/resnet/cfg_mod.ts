/**
 * The tfjs-free part of `@slimming/resnet` (export path `@slimming/resnet/cfg`): depths, the
 * flat cfg list and its checks, BN layer labels, and parameter/FLOP counts, which are plain
 * arithmetic on a cfg. Importing it loads no tfjs.
 *
 * @module
 */
export {
  blockInputWidths,
  blocksPerStage,
  bnWidths,
  defaultResnetCfg,
  depthOfCfg,
  RESNET_EXPANSION,
  RESNET_PLANES,
  RESNET_TAG,
  resnetBnNames,
  type ResnetCfg,
  type ResnetPlanes,
  resnetPlanes,
  validateResnetCfg,
  validateResnetDepth,
} from "./cfg.ts";
export { blockShapes, countResnetFlops, countResnetParams } from "./counts.ts";
