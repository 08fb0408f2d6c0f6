/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header of `{name: {dtype, shape, data_offsets}}`
 * plus an optional `__metadata__` string map, then the raw little-endian bytes.
 * Plain arrays in and out; no tensor library needed.
 *
 * @module
 */
import { CheckpointError } from "./errors.ts";

/** The element types this reader and writer know. */
export type SafetensorsDtype = "F32" | "F64" | "I32" | "I64" | "U8" | "I8" | "F16" | "BF16";

/** A typed array as stored in a safetensors file. */
export type SafetensorsData = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array;

/** One named array: element type, shape and values. */
export interface NamedArray {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Values; for F16/BF16/I64 the raw little-endian bytes as a Uint8Array. */
  readonly data: SafetensorsData;
}

/** A decoded file: the arrays by name and the header metadata. */
export interface SafetensorsFile {
  readonly tensors: Record<string, NamedArray>;
  readonly metadata: Record<string, string>;
}

const dtypeSize: Record<SafetensorsDtype, number> = {
  F32: 4,
  F64: 8,
  I32: 4,
  I64: 8,
  U8: 1,
  I8: 1,
  F16: 2,
  BF16: 2,
};

/** Largest header accepted by default (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

function dtypeOf(data: SafetensorsData): SafetensorsDtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Int8Array) return "I8";
  return "U8";
}

/** Shorthand for an F32 array of the given shape. */
export function f32(shape: readonly number[], data: Float32Array): NamedArray {
  return { dtype: "F32", shape, data };
}

/** Encodes arrays (sorted by name) and string metadata into safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, NamedArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  if (names.includes("__metadata__")) {
    throw new RangeError("__metadata__ is reserved for the header metadata, not a tensor name");
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = count * dtypeSize[dtype];
    if (data.byteLength !== bytes) {
      throw new RangeError(`${name}: ${data.byteLength} bytes for shape [${shape}] ${dtype}`);
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the UTF-8 header (not its UTF-16 length) with spaces so the data starts 8-aligned.
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** `text` with control characters and line breaks escaped, so a message stays on one line. */
function oneLine(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function fail(source: string, why: string): never {
  throw new CheckpointError(oneLine(`${source}: not a valid safetensors file (${why})`));
}

function makeArray(dtype: SafetensorsDtype, bytes: Uint8Array): SafetensorsData {
  const copy = bytes.slice();
  switch (dtype) {
    case "F32":
      return new Float32Array(copy.buffer);
    case "F64":
      return new Float64Array(copy.buffer);
    case "I32":
      return new Int32Array(copy.buffer);
    case "I8":
      return new Int8Array(copy.buffer);
    default:
      return copy;
  }
}

/** Options for {@linkcode decodeSafetensors}. */
export interface DecodeOptions {
  /** Name used in error messages (a file path). */
  source?: string;
  /** Largest header accepted, in bytes. */
  maxHeaderBytes?: number;
}

/**
 * Decodes safetensors bytes, checking everything: header length within the file and the
 * limit, valid JSON, known dtypes, integer shapes, offsets inside the buffer that match
 * the shape, no overlaps and no holes. Any violation is a {@linkcode CheckpointError}.
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeOptions = {}): SafetensorsFile {
  const source = options.source ?? "checkpoint";
  const limit = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (bytes.length < 8) {
    fail(source, `${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(limit)) {
    fail(source, `header of ${headerLength} bytes is over the limit`);
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(source, `header of ${headerLength} bytes runs past the end of the file`);
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    fail(source, "header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail(source, "header is not a JSON object");
  }
  const data = bytes.subarray(8 + n);
  const tensors: Record<string, NamedArray> = {};
  let metadata: Record<string, string> = {};
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        fail(source, "__metadata__ is not an object");
      }
      for (const v of Object.values(entry)) {
        if (typeof v !== "string") fail(source, "__metadata__ values must be strings");
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(dtypeSize, dtype)) {
      fail(source, `${name}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) fail(source, `${name}: shape must be a list of non-negative integers`);
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
    ) fail(source, `${name}: data_offsets must be [begin, end]`);
    const [begin, end] = offsets as [number, number];
    if (end > data.length) {
      fail(source, `${name}: data_offsets [${begin}, ${end}] outside the data`);
    }
    const size = dtypeSize[dtype as SafetensorsDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) {
      fail(source, `${name}: ${end - begin} bytes do not hold shape [${shape}] of ${dtype}`);
    }
    spans.push([begin, end, name]);
    tensors[name] = {
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      data: makeArray(dtype as SafetensorsDtype, data.subarray(begin, end)),
    };
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin < covered) fail(source, `${name}: data overlaps another tensor`);
    if (begin > covered) fail(source, `${name}: hole in the data before byte ${begin}`);
    covered = end;
  }
  if (covered !== data.length) fail(source, `${data.length - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

/** Reads and decodes a safetensors file; an unreadable file is a {@linkcode CheckpointError}. */
export async function readSafetensors(
  path: string,
  options: Omit<DecodeOptions, "source"> = {},
): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new CheckpointError(oneLine(`cannot read checkpoint ${path}: ${why}`));
  }
  return decodeSafetensors(bytes, { ...options, source: path });
}

export { dtypeOf as safetensorsDtypeOf };
