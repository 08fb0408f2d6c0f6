/**
 * Names for the BN layers of a VGG cfg, as the report prints them: `conv<block>_<n>`,
 * where a block is the run of convs between two max-pools (VGG's own naming).
 *
 * @module
 */
import type { CfgItem } from "./lab_types.ts";
import { convLayerNames as vggLayerNames } from "@slimming/vgg/cfg";

/** Names of the conv (and BN) layers of `cfg`, in order: `conv1_1`, `conv1_2`, `conv2_1`, …. */
export function convLayerNames(cfg: readonly CfgItem[]): string[] {
  return vggLayerNames(cfg);
}

/** Name of BN layer `index` (0-based) of `cfg`, or `layer <index+1>` when cfg is unknown. */
export function convLayerName(cfg: readonly CfgItem[] | undefined, index: number): string {
  return (cfg && convLayerNames(cfg)[index]) ?? `layer ${index + 1}`;
}
