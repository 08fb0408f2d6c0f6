/**
 * The tfjs-free part of `@slimming/densenet` (export path `@slimming/densenet/cfg`): depths,
 * growth rates and flat cfg lists with their checks, BN labels, and parameter/FLOP counts,
 * which are plain arithmetic on a spec. Importing it loads no tfjs.
 *
 * @module
 */
export {
  defaultDensenetCfg,
  denseLayersPerBlock,
  DENSENET_TAG,
  densenetBnLabels,
  densenetBnWidths,
  densenetGrowth,
  type DensenetSpec,
  validateDensenetSpec,
} from "./cfg.ts";
export { countDensenetFlops, countDensenetParams, type CountParamsOptions } from "./counts.ts";
