/**
 * The tfjs-free part of `@slimming/vgg` (export path `@slimming/vgg/cfg`): cfg lists and
 * their checks, conv layer names, and parameter/FLOP counts, which are plain arithmetic on
 * a cfg. Importing it loads no tfjs, so the run format and the report use it.
 *
 * @module
 */
export {
  type Cfg,
  cfgForDepth,
  type CfgItem,
  convChannels,
  convLayerNames,
  parseCfg,
  poolCount,
  scaleCfg,
  validateCfg,
  VGG_CFGS,
  VGG_DEPTHS,
  VGG_TAG,
} from "./cfg.ts";
export { countFlops, countParams } from "./counts.ts";
