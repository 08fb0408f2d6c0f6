/**
 * How the report names the lab's network, the reference script that prunes it and its BN
 * layers, from the architecture a lab.json or prune.json record names (the architecture
 * registry's; an untagged record is the registry's untagged architecture's).
 *
 * @module
 */
import { archInfoOfTag, modelName as registryModelName } from "@slimming/architectures/info";
import type { CfgItem } from "./records.ts";

/** The fields of lab.json that name the network. */
export interface ModelFields {
  readonly arch?: string;
  readonly depth?: number;
  readonly growthRate?: number;
}

/** "VGG-19", "pre-activation ResNet-164", "DenseNet-40 (growth rate 12)", or the bare kind. */
export function modelName(fields: ModelFields): string {
  return registryModelName(fields);
}

/** The reference's pruning script for an architecture (its descriptor's `referenceScript`). */
export function pruneScript(arch: string | undefined): string {
  return archInfoOfTag(arch, "record").referenceScript;
}

/** The BN scaling factors an architecture's sparsity term covers (its `sparsityScope`). */
export function sparsityScope(arch: string | undefined): string {
  return archInfoOfTag(arch, "record").sparsityScope ?? "all BN scaling factors";
}

/**
 * How the slim model of an architecture is built, for the report: "exactly as the reference's
 * vggprune.py builds it", or its descriptor's `noReferenceScript` where the reference has none.
 */
export function pruneOrigin(arch: string | undefined): string {
  const info = archInfoOfTag(arch, "record");
  return info.noReferenceScript ?? `exactly as the reference's ${info.referenceScript} builds it`;
}

/** The fields of a prune.json (or sweep.json) that name its BN layers. */
export interface LayerFields {
  readonly arch?: string;
  readonly layerNames?: readonly string[];
  readonly cfgBefore?: readonly CfgItem[];
}

/**
 * One name per BN layer of a pruned model: those its prune.json recorded, else its
 * architecture's names for `cfgBefore` (prunes written before names were recorded), else none.
 */
export function prunedLayerNames(summary: LayerFields): readonly string[] {
  if (summary.layerNames) return summary.layerNames;
  if (!summary.cfgBefore) return [];
  const info = archInfoOfTag(summary.arch, "prune.json");
  return info.layerNames({ arch: info.name, cfg: [...summary.cfgBefore] });
}
