/**
 * Loads CIFAR-10 or CIFAR-100 (as a {@linkcode CifarSpec} describes) from the official
 * binary archive (`.tar.gz`, or a plain `.tar`) or from an extracted folder. The archive
 * is streamed (see `archive_members.ts`), so memory follows the bytes actually read.
 * Folders and archives share one decoding path. Anything wrong with the input is a
 * {@linkcode DataError} with a one-line message that names the file or member.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import {
  type CifarDataset,
  decodeRecords,
  parseClassNames,
  type RecordBytes,
  recordFiles,
} from "./format.ts";
import { CIFAR10_SPEC, type CifarSpec } from "./spec.ts";
import { readMembers } from "./archive_members.ts";

/** Default largest CIFAR-10 batch file accepted, in bytes (a real one is 30,730,000). */
export const MAX_BATCH_BYTES: number = CIFAR10_SPEC.maxFileBytes;
/** Largest class-name file (`batches.meta.txt`, ...) accepted, in bytes. */
export const MAX_META_BYTES = 65_536;
/** Default largest uncompressed tar stream accepted, in bytes (the real one is 184 MB). */
export const MAX_TAR_BYTES = 1 << 30;

/** Options for {@linkcode loadCifar}. */
export interface LoadOptions {
  /** The data set to read (default CIFAR-10). */
  readonly spec?: CifarSpec;
  /** Largest record file accepted, in bytes (default the spec's `maxFileBytes`). */
  readonly maxBatchBytes?: number;
  /** Largest uncompressed archive accepted, in bytes (default {@linkcode MAX_TAR_BYTES}). */
  readonly maxTarBytes?: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw new DataError(`${path}: cannot read (${describe(error)})`);
  }
}

/**
 * Reads the data set `options.spec` describes (default CIFAR-10) from `source`: a
 * `.tar.gz` (or `.tar`) archive with the official member names, the extracted folder
 * (`cifar-10-batches-bin/`, `cifar-100-binary/`), or the folder that holds it. `train` is
 * the training files in order (CIFAR-10: data_batch_1 to 5; CIFAR-100: train.bin); `test`
 * is the test file. The class-name files are optional (the official names are used
 * without them).
 */
export async function loadCifar(source: string, options: LoadOptions = {}): Promise<CifarDataset> {
  if (source.endsWith(".partial")) {
    throw new DataError(`${source}: an unfinished download (.partial), not an archive`);
  }
  const info = await statOrNull(source);
  if (info === null) throw new DataError(`${source}: no such file or folder`);
  return info.isDirectory
    ? await loadFolder(source, options)
    : await loadArchive(source, info.size, options);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Reads one file of the data set by its name in the folder; undefined when optional and absent. */
type FileReader = (file: string, optional: boolean) => Promise<RecordBytes | undefined>;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** Decodes the splits and class names from the files `read` gives; the one path for folders and archives. */
async function assemble(
  spec: CifarSpec,
  source: string,
  read: FileReader,
): Promise<CifarDataset> {
  const names = async (file: string, count: number, fallback: readonly string[]) => {
    const found = await read(file, true);
    return found ? parseClassNames(found.name, concat(found.chunks), count) : [...fallback];
  };
  // One file after the other: the first problem reported is always the same file's.
  const train = [];
  for (const file of spec.trainFiles) train.push((await read(file, false))!);
  const test = (await read(spec.testFile, false))!;
  const coarse = spec.coarse;
  return {
    train: decodeRecords(train, spec),
    test: decodeRecords([test], spec),
    classNames: await names(spec.namesFile, spec.classCount, spec.classNames),
    ...(coarse
      ? { coarseClassNames: await names(coarse.namesFile, coarse.classCount, coarse.classNames) }
      : {}),
    source,
    spec,
  };
}

function namesFileLimit(spec: CifarSpec, file: string): number | undefined {
  return file === spec.namesFile || file === spec.coarse?.namesFile ? MAX_META_BYTES : undefined;
}

async function loadFolder(source: string, options: LoadOptions): Promise<CifarDataset> {
  const spec = options.spec ?? CIFAR10_SPEC;
  const maxFile = options.maxBatchBytes ?? spec.maxFileBytes;
  const nested = joinPath(source, spec.folder);
  const dir = (await statOrNull(nested))?.isDirectory ? nested : source;
  const read: FileReader = async (file, optional) => {
    const path = joinPath(dir, file);
    const limit = namesFileLimit(spec, file) ?? maxFile;
    const info = await statOrNull(path);
    if (info === null) {
      if (optional) return undefined;
      throw new DataError(
        `${path}: missing (a ${spec.title} folder holds ${recordFiles(spec).join(", ")})`,
      );
    }
    if (!info.isFile) throw new DataError(`${path}: not a regular file`);
    if (info.size > limit) {
      throw new DataError(`${path}: ${info.size} bytes is over the ${limit}-byte limit`);
    }
    try {
      return { name: path, chunks: [await Deno.readFile(path)] };
    } catch (error) {
      throw new DataError(`${path}: cannot read (${describe(error)})`);
    }
  };
  return await assemble(spec, source, read);
}

async function loadArchive(
  path: string,
  size: number,
  options: LoadOptions,
): Promise<CifarDataset> {
  const spec = options.spec ?? CIFAR10_SPEC;
  const { members, names } = await readMembers(path, size, {
    spec,
    maxFile: options.maxBatchBytes ?? spec.maxFileBytes,
    maxNames: MAX_META_BYTES,
    maxTar: options.maxTarBytes ?? MAX_TAR_BYTES,
  });
  const byName = new Map(members.map((m) => [m.name, m]));
  const read: FileReader = (file, optional) => {
    const name = `${spec.folder}/${file}`;
    const found = byName.get(name);
    if (!found) {
      if (optional) return Promise.resolve(undefined);
      const held = names.length === 0
        ? "it holds no members"
        : `it holds ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""}`;
      throw new DataError(`${path}: member ${name} is missing (${held})`);
    }
    return Promise.resolve({ name: `${path}: member ${name}`, chunks: found.chunks });
  };
  return await assemble(spec, path, read);
}
