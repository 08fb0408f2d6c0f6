/**
 * The architecture registry (`@slimming/architectures`): the one list of architectures
 * ({@linkcode ARCH_INFOS} in `./info.ts`) with their descriptors' tfjs parts loaded, and
 * lookups by the `arch` tag that parameter trees and checkpoints carry. Every command asks
 * the registry; nothing else names an architecture. The tfjs-free half is
 * `@slimming/architectures/info`.
 *
 * ```ts
 * import { architecture, architectureOf } from "@slimming/architectures";
 * const arch = architecture("vgg");
 * const params = arch.init(arch.info.specFor({ width: 0.25 }), { seed: 1, numClasses: 10 });
 * architectureOf(params) === arch; // true
 * ```
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils";
import type { Architecture, Capabilities, ModelSpec } from "./descriptor.ts";
import {
  ARCH_INFOS,
  ARCH_NAMES,
  archInfo,
  archInfoOfTag,
  type ArchName,
  type ModelParams,
} from "./info.ts";

export type {
  ArchInfo,
  Architecture,
  ArchPruneOptions,
  ArchPruneResult,
  Capabilities,
  CfgItem,
  LabChanges,
  ModelOptions,
  ModelSpec,
  NetworkFields,
  PublishedComparison,
  PublishedRow,
  SpecRequest,
} from "./descriptor.ts";
export {
  type AnyArchInfo,
  ARCH_INFOS,
  ARCH_NAMES,
  archChoices,
  archesWithOption,
  archField,
  archInfo,
  archInfoOfTag,
  type ArchName,
  archTitles,
  DEFAULT_ARCH,
  depthChoices,
  isArchName,
  modelName,
  type ModelParams,
} from "./info.ts";

/**
 * Every architecture's tfjs part, in {@linkcode ARCH_INFOS} order, loaded once through each
 * descriptor's `load()` (so a descriptor's own modules must not import this module).
 */
const ARCHITECTURES: readonly Architecture<ModelParams>[] = await Promise.all(
  ARCH_INFOS.map((info) => info.load() as Promise<unknown> as Promise<Architecture<ModelParams>>),
);

function loaded(name: ArchName): Architecture<ModelParams> {
  return ARCHITECTURES[ARCH_NAMES.indexOf(name)];
}

/** The architecture called `name` (a UsageError naming the choices otherwise). */
export function architecture(name: string): Architecture<ModelParams> {
  return loaded(archInfo(name).name);
}

/** The architecture of a parameter tree, by its `arch` tag (a UsageError without one). */
export function architectureOf(params: ModelParams): Architecture<ModelParams> {
  const tag = (params as { arch?: unknown }).arch;
  if (typeof tag !== "string" || !(ARCH_NAMES as readonly string[]).includes(tag)) {
    throw new UsageError(
      `a parameter tree with no known arch tag (${JSON.stringify(tag ?? null)}; known: ${
        ARCH_NAMES.join(", ")
      })`,
    );
  }
  return loaded(tag as ArchName);
}

/**
 * The architecture a checkpoint's metadata names by its `arch` tag: an untagged checkpoint
 * is an old VGG's (the registry's one rule for untagged files), an unknown tag a one-line
 * CheckpointError naming `source`.
 */
export function architectureOfMetadata(
  metadata: Record<string, string>,
  source = "checkpoint",
): Architecture<ModelParams> {
  return loaded(archInfoOfTag(metadata.arch, source, " in its metadata").name);
}

/** The option that asks for `capability`, for messages. */
const CAPABILITY_OPTIONS: Partial<Record<keyof Capabilities, string>> = {
  roundTo: "--round-to",
  multiPass: "--passes (multi-pass pruning)",
  recalibration: "--recalibrate",
  benchPruned: "bench's pruned-model row",
};

/** A UsageError naming the option unless `arch` declares `capability`. */
export function requireCapability(
  arch: Architecture<ModelParams>,
  capability: Exclude<keyof Capabilities, "exportFormats">,
): void {
  if (arch.capabilities[capability]) return;
  throw new UsageError(
    `${CAPABILITY_OPTIONS[capability] ?? capability} is not implemented for the ${arch.title}`,
  );
}

/** Whether two specs describe the same model shape. */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return a.arch === b.arch && JSON.stringify(a.cfg) === JSON.stringify(b.cfg) &&
    (a.depth ?? null) === (b.depth ?? null) && (a.growthRate ?? null) === (b.growthRate ?? null) &&
    (a.planes === undefined || b.planes === undefined ||
      JSON.stringify(a.planes) === JSON.stringify(b.planes));
}
