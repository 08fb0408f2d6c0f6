/**
 * Loads CIFAR-10 from the official binary archive (`.tar.gz`, or a plain `.tar`) or from
 * an extracted folder. The archive is streamed: gunzipped and untarred chunk by chunk,
 * keeping only the batch files, so memory follows the bytes actually read. Anything
 * wrong with the input is a {@linkcode DataError} with a one-line message that names the
 * file or member.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import {
  ARCHIVE_FOLDER,
  BATCH_FILES,
  CIFAR10_CLASSES,
  type CifarDataset,
  decodeRecords,
  META_FILE,
  parseClassNames,
  type RecordBytes,
  TEST_FILE,
  TRAIN_FILES,
} from "./format.ts";
import { isGzipMagic } from "./gzip.ts";
import { type TarHeader, type TarMember, TarReader } from "./tar_reader.ts";

/** Default largest batch file accepted, in bytes (a real one is 30,730,000). */
export const MAX_BATCH_BYTES = 50_000_000;
/** Largest `batches.meta.txt` accepted, in bytes. */
export const MAX_META_BYTES = 65_536;
/** Default largest uncompressed tar stream accepted, in bytes (the real one is 184 MB). */
export const MAX_TAR_BYTES = 1 << 30;

/** Options for {@linkcode loadCifar}. */
export interface LoadOptions {
  /** Largest batch file accepted, in bytes (default {@linkcode MAX_BATCH_BYTES}). */
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
 * Reads CIFAR-10 from `source`: a `.tar.gz` (or `.tar`) archive with the official member
 * names, the extracted `cifar-10-batches-bin/` folder, or the folder that holds it.
 * `train` is data_batch_1 to 5 in order; `test` is test_batch. `batches.meta.txt` is
 * optional (the standard names are used without it).
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

async function loadFolder(source: string, options: LoadOptions): Promise<CifarDataset> {
  const maxBatch = options.maxBatchBytes ?? MAX_BATCH_BYTES;
  const nested = joinPath(source, ARCHIVE_FOLDER);
  const dir = (await statOrNull(nested))?.isDirectory ? nested : source;
  const read = async (file: string, limit: number, optional: boolean) => {
    const path = joinPath(dir, file);
    const info = await statOrNull(path);
    if (info === null) {
      if (optional) return undefined;
      throw new DataError(
        `${path}: missing (a CIFAR-10 folder holds ${BATCH_FILES.join(", ")})`,
      );
    }
    if (!info.isFile) throw new DataError(`${path}: not a regular file`);
    if (info.size > limit) {
      throw new DataError(`${path}: ${info.size} bytes is over the ${limit}-byte limit`);
    }
    try {
      return await Deno.readFile(path);
    } catch (error) {
      throw new DataError(`${path}: cannot read (${describe(error)})`);
    }
  };
  const batches = new Map<string, Uint8Array>();
  for (const file of BATCH_FILES) batches.set(file, (await read(file, maxBatch, false))!);
  const meta = await read(META_FILE, MAX_META_BYTES, true);
  const split = (files: readonly string[]) =>
    decodeRecords(files.map((f) => ({ name: joinPath(dir, f), chunks: [batches.get(f)!] })));
  return {
    train: split(TRAIN_FILES),
    test: split([TEST_FILE]),
    classNames: meta ? parseClassNames(joinPath(dir, META_FILE), meta) : [...CIFAR10_CLASSES],
    source,
  };
}

async function readExactly(file: Deno.FsFile, buffer: Uint8Array): Promise<boolean> {
  let at = 0;
  while (at < buffer.length) {
    const n = await file.read(buffer.subarray(at));
    if (n === null) return false;
    at += n;
  }
  return true;
}

/** Opens the archive as a tar byte stream, and the tar size when the file tells it. */
async function openTarStream(
  path: string,
  size: number,
): Promise<
  { stream: ReadableStream<Uint8Array>; totalBytes: number | undefined; gzipped: boolean }
> {
  if (size === 0) throw new DataError(`${path}: empty file`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new DataError(`${path}: cannot read (${describe(error)})`);
  }
  try {
    const head = new Uint8Array(2);
    await readExactly(file, head);
    const gzipped = isGzipMagic(head);
    let totalBytes = size;
    if (gzipped) {
      if (size < 18) throw new DataError(`${path}: truncated gzip file (${size} bytes)`);
      // The gzip trailer's ISIZE is the uncompressed size modulo 2^32; tar streams over
      // 4 GiB are rejected anyway (see MAX_TAR_BYTES).
      const trailer = new Uint8Array(4);
      await file.seek(size - 4, Deno.SeekMode.Start);
      await readExactly(file, trailer);
      totalBytes = new DataView(trailer.buffer).getUint32(0, true);
      await file.seek(0, Deno.SeekMode.Start);
    } else if (/\.(t?gz)$/i.test(path)) {
      throw new DataError(`${path}: not gzip data (it does not start with the bytes 1f 8b)`);
    } else {
      await file.seek(0, Deno.SeekMode.Start);
    }
    const raw = file.readable;
    return {
      stream: gzipped ? raw.pipeThrough(new DecompressionStream("gzip")) : raw,
      totalBytes,
      gzipped,
    };
  } catch (error) {
    file.close();
    throw error instanceof DataError
      ? error
      : new DataError(`${path}: cannot read (${describe(error)})`);
  }
}

function memberSelector(path: string, maxBatch: number): (header: TarHeader) => number | undefined {
  const wanted = new Map<string, number>(
    BATCH_FILES.map((f) => [`${ARCHIVE_FOLDER}/${f}`, maxBatch]),
  );
  wanted.set(`${ARCHIVE_FOLDER}/${META_FILE}`, MAX_META_BYTES);
  const seen = new Set<string>();
  return (header) => {
    const limit = wanted.get(header.name);
    if (limit === undefined) return undefined;
    if (seen.has(header.name)) {
      throw new DataError(`${path}: member ${header.name} appears more than once`);
    }
    seen.add(header.name);
    if (header.type !== "0" && header.type !== "7") {
      throw new DataError(
        `${path}: member ${header.name} is not a regular file (tar type ${header.type})`,
      );
    }
    return limit;
  };
}

/** Reads and discards up to `limit` more bytes; a read error becomes `onError(error)`. */
async function drain(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  onError: (error: unknown) => Error,
): Promise<void> {
  let left = limit;
  while (left > 0) {
    try {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.length;
    } catch (error) {
      throw onError(error);
    }
  }
}

async function readMembers(
  path: string,
  size: number,
  options: LoadOptions,
): Promise<{ members: TarMember[]; names: readonly string[] }> {
  const maxTar = options.maxTarBytes ?? MAX_TAR_BYTES;
  const { stream, totalBytes, gzipped } = await openTarStream(path, size);
  const tar = new TarReader({
    source: path,
    select: memberSelector(path, options.maxBatchBytes ?? MAX_BATCH_BYTES),
    totalBytes,
  });
  const reader = stream.getReader();
  const gzipError = (error: unknown) =>
    new DataError(
      gzipped
        ? `${path}: corrupt or truncated gzip data (${describe(error)})`
        : `${path}: cannot read (${describe(error)})`,
    );
  let seen = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        throw gzipError(error);
      }
      if (result.done) break;
      seen += result.value.length;
      if (seen > maxTar) {
        throw new DataError(`${path}: unpacks to over ${maxTar} bytes, too large for CIFAR-10`);
      }
      try {
        tar.push(result.value);
      } catch (error) {
        // Corrupt compressed data often decodes to garbage before the gzip checksum at
        // the end catches it: read on, and report a broken gzip stream first.
        if (gzipped) await drain(reader, maxTar - seen, gzipError);
        throw error;
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return { members: tar.finish(), names: tar.names };
}

async function loadArchive(
  path: string,
  size: number,
  options: LoadOptions,
): Promise<CifarDataset> {
  const { members, names } = await readMembers(path, size, options);
  const byName = new Map(members.map((m) => [m.name, m]));
  const member = (file: string): RecordBytes => {
    const name = `${ARCHIVE_FOLDER}/${file}`;
    const found = byName.get(name);
    if (!found) {
      const held = names.length === 0
        ? "it holds no members"
        : `it holds ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""}`;
      throw new DataError(`${path}: member ${name} is missing (${held})`);
    }
    return { name: `${path}: member ${name}`, chunks: found.chunks };
  };
  const train = TRAIN_FILES.map(member);
  const test = [member(TEST_FILE)];
  const meta = byName.get(`${ARCHIVE_FOLDER}/${META_FILE}`);
  let classNames = [...CIFAR10_CLASSES];
  if (meta) {
    const bytes = new Uint8Array(meta.size);
    let at = 0;
    for (const c of meta.chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    classNames = parseClassNames(`${path}: member ${meta.name}`, bytes);
  }
  return { train: decodeRecords(train), test: decodeRecords(test), classNames, source: path };
}
