/**
 * Names for the BN layers, as the report prints them: those a prune recorded (any
 * architecture), else from a VGG cfg: `conv<block>_<n>`, where a block is the run of convs
 * between two max-pools (VGG's own naming).
 *
 * @module
 */
import type { CfgItem } from "./lab_types.ts";
import { convLayerNames as vggLayerNames } from "@slimming/vgg/cfg";

/** Names of the conv (and BN) layers of `cfg`, in order: `conv1_1`, `conv1_2`, `conv2_1`, …. */
export function convLayerNames(cfg: readonly CfgItem[]): string[] {
  return vggLayerNames(cfg);
}

/**
 * Name of BN layer `index` (0-based): from `names` (what prune.json records for any
 * architecture) when given, else from the VGG `cfg`, else `layer <index+1>`.
 */
export function convLayerName(
  cfg: readonly CfgItem[] | undefined,
  index: number,
  names?: readonly string[],
): string {
  if (names) return names[index] ?? `layer ${index + 1}`;
  return (cfg && convLayerNames(cfg)[index]) ?? `layer ${index + 1}`;
}
