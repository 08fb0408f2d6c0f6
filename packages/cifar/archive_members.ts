/**
 * Streams the wanted members out of a CIFAR archive (`.tar.gz` or plain `.tar`): gunzipped
 * and untarred chunk by chunk, keeping only the record and class-name files of a
 * {@linkcode CifarSpec}, each under its byte limit. Problems are one-line
 * {@linkcode DataError}s naming the archive and member.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import { recordFiles } from "./format.ts";
import { isGzipMagic } from "./gzip.ts";
import type { CifarSpec } from "./spec.ts";
import { type TarHeader, type TarMember, TarReader } from "./tar_reader.ts";

/** What to take from an archive and how much of it. */
export interface MemberLimits {
  /** The data set whose files are wanted. */
  readonly spec: CifarSpec;
  /** Largest record file, in bytes. */
  readonly maxFile: number;
  /** Largest class-name file, in bytes. */
  readonly maxNames: number;
  /** Largest uncompressed tar stream, in bytes. */
  readonly maxTar: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
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
      // 4 GiB are rejected anyway (see MemberLimits.maxTar).
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

function memberSelector(
  path: string,
  { spec, maxFile, maxNames }: MemberLimits,
): (header: TarHeader) => number | undefined {
  const wanted = new Map<string, number>(
    recordFiles(spec).map((f) => [`${spec.folder}/${f}`, maxFile]),
  );
  for (const f of [spec.namesFile, spec.coarse?.namesFile]) {
    if (f) wanted.set(`${spec.folder}/${f}`, maxNames);
  }
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

/** The wanted members of the archive at `path` (`size` bytes) and the names of all its members. */
export async function readMembers(
  path: string,
  size: number,
  limits: MemberLimits,
): Promise<{ members: TarMember[]; names: readonly string[] }> {
  const { maxTar, spec } = limits;
  const { stream, totalBytes, gzipped } = await openTarStream(path, size);
  const tar = new TarReader({
    source: path,
    select: memberSelector(path, limits),
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
        throw new DataError(
          `${path}: unpacks to over ${maxTar} bytes, too large for ${spec.title}`,
        );
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
