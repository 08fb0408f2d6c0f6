/**
 * The architecture registry, tfjs-free part (export path `@slimming/architectures/info`): the
 * one list of architectures, as their descriptors' {@linkcode ArchInfo}s, and lookups by the
 * `arch` tag records and checkpoints carry. Importing it loads no tfjs, so the run format and
 * the report use it. Adding an architecture is adding its package and one line to
 * {@linkcode ARCH_INFOS}.
 *
 * @module
 */
import { CheckpointError, UsageError } from "@slimming/tensor-utils/core";
import { info as vgg } from "@slimming/vgg/info";
import { info as resnet } from "@slimming/resnet/info";
import { info as densenet } from "@slimming/densenet/info";
import { info as cifarResnet } from "@slimming/cifar-resnet/info";
import type { ArchInfo } from "./descriptor.ts";

export type {
  ArchInfo,
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

/** Every architecture, in the order `--arch`'s help lists them. */
export const ARCH_INFOS = [vgg, resnet, densenet, cifarResnet] as const;

/** An architecture's tag: `--arch`'s value and the `arch` field of files and trees. */
export type ArchName = (typeof ARCH_INFOS)[number]["name"];

/** The tfjs-free part of a registered architecture. */
export type AnyArchInfo = (typeof ARCH_INFOS)[number];

/** The parameter tree type `P` of an `ArchInfo<N, P>`. */
type ParamsOf<I> = I extends ArchInfo<string, infer P> ? P : never;

/** The parameter tree of a registered architecture (a type only). */
export type ModelParams = ParamsOf<AnyArchInfo>;

/** The architecture names `--arch` accepts. */
export const ARCH_NAMES: readonly ArchName[] = ARCH_INFOS.map((info) => info.name);

/** `--arch`'s default. */
export const DEFAULT_ARCH: ArchName = vgg.name;

/**
 * The architecture of a file written before files carried an `arch` tag: only VGG was
 * trained then, so an untagged checkpoint or record is a VGG's. The one place this rule is
 * written; any other missing tag is an error.
 */
const UNTAGGED: AnyArchInfo = vgg;

/** Whether `name` is a registered architecture's tag. */
export function isArchName(name: unknown): name is ArchName {
  return typeof name === "string" && (ARCH_NAMES as readonly string[]).includes(name);
}

/** The architecture called `name` (a UsageError naming the choices otherwise). */
export function archInfo(name: string): AnyArchInfo {
  const found = ARCH_INFOS.find((info) => info.name === name);
  if (!found) {
    throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(", ")}, got "${name}"`);
  }
  return found;
}

/**
 * The architecture a file's `arch` tag names: an untagged file is an old VGG's (see
 * {@linkcode UNTAGGED}); an unknown tag is a one-line CheckpointError naming `source` (and
 * `where` in it, e.g. " in its metadata").
 */
export function archInfoOfTag(tag: string | undefined, source: string, where = ""): AnyArchInfo {
  if (tag === undefined) return UNTAGGED;
  const found = ARCH_INFOS.find((info) => info.name === tag);
  if (!found) {
    throw new CheckpointError(
      `${source}: arch ${JSON.stringify(tag)}${where} is none of ${ARCH_NAMES.join(", ")}`,
    );
  }
  return found;
}

/**
 * The `arch` field a JSON record (config.json, lab.json, prune.json, sweep.json) carries for
 * `name`: none for the untagged architecture, so its records read as they always have.
 */
export function archField(name: ArchName): { arch?: ArchName } {
  return name === UNTAGGED.name ? {} : { arch: name };
}

/** The architectures that take the model option `option` (`cfg`, `growthRate`), by name. */
export function archesWithOption(option: keyof ArchInfo["options"]): string {
  return ARCH_INFOS.filter((info) => info.options[option]).map((info) => info.name).join(", ");
}

/** `--arch`'s help: the names, with each one's note when `notes`: "vgg, resnet (...) or densenet". */
export function archChoices(options: { notes?: boolean } = {}): string {
  return listWords(
    ARCH_INFOS.map((info: ArchInfo) =>
      options.notes && info.note ? `${info.name} (${info.note})` : info.name
    ),
  );
}

/** "a, b or c". */
function listWords(words: readonly string[]): string {
  return words.length < 2
    ? words.join("")
    : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/** The architectures' titles for a command's description: "VGG, pre-activation ResNet or DenseNet". */
export function archTitles(): string {
  return listWords(ARCH_INFOS.map((info: ArchInfo) => info.title));
}

/**
 * `--depth`'s help: each tag with the depths it builds and its default (`defaults: false`
 * leaves the default out, `rules: false` the depths): "vgg 11, 13, 16 or 19 (19); resnet 9n+2
 * (164); densenet 3n+4 (40)".
 */
export function depthChoices(options: { rules?: boolean; defaults?: boolean } = {}): string {
  const { rules = true, defaults = true } = options;
  const choice = (info: ArchInfo): string => {
    if (!rules) return defaults ? `${info.name} ${info.defaultDepth}` : info.name;
    return defaults
      ? `${info.name} ${info.depths} (${info.defaultDepth})`
      : `${info.name} ${info.depths}`;
  };
  return ARCH_INFOS.map(choice).join(rules ? "; " : ", ");
}

/**
 * A network's name from a record's fields: "VGG-19", "pre-activation ResNet-164",
 * "DenseNet-40 (growth rate 12)" (an untagged record is a VGG's).
 */
export function modelName(
  fields: { readonly arch?: string; readonly depth?: number; readonly growthRate?: number },
): string {
  return archInfoOfTag(fields.arch, "record").modelName(fields);
}
