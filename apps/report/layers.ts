/**
 * Names for the BN layers, as the report prints them: those a prune recorded (any
 * architecture), else its architecture's names for the cfg it pruned (run-format's
 * `prunedLayerNames`), else `layer <n>`.
 *
 * @module
 */
import { type LayerFields, prunedLayerNames } from "@slimming/run-format";

/** Name of BN layer `index` (0-based) of the prune `fields` describe, else `layer <index+1>`. */
export function convLayerName(fields: LayerFields, index: number): string {
  return prunedLayerNames(fields)[index] ?? `layer ${index + 1}`;
}
