/**
 * The CIFAR binary formats: record layout, member names and the in-memory split type,
 * plus the decoder from record bytes to a split and the encoder back, both driven by a
 * data-set descriptor ({@linkcode CifarSpec}).
 *
 * A record is the label bytes (CIFAR-10: one label, 0-9; CIFAR-100: the coarse label
 * 0-19, then the fine label 0-99), then the 1024 red, 1024 green and 1024 blue bytes of a
 * 32x32 image, each plane row-major. Images are kept exactly as stored (CHW planes, 3072
 * bytes per image).
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import { CIFAR10_SPEC, type CifarSpec } from "./spec.ts";

export { CIFAR10_CLASSES } from "./class_names.ts";

/** Image side in pixels. */
export const IMAGE_SIZE: number = 32;
/** Colour channels per image. */
export const CHANNELS: number = 3;
/** Pixel bytes per image (3 planes of 32x32). */
export const IMAGE_BYTES: number = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
/** Bytes per CIFAR-10 record: a label byte and the image bytes. */
export const RECORD_BYTES: number = CIFAR10_SPEC.recordBytes;
/** Number of CIFAR-10 classes; labels are 0 to 9. */
export const CLASS_COUNT: number = CIFAR10_SPEC.classCount;

/** Folder inside the official CIFAR-10 archive that holds the batch files. */
export const ARCHIVE_FOLDER: string = CIFAR10_SPEC.folder;
/** The five CIFAR-10 training batch files, in the order their records are concatenated. */
export const TRAIN_FILES: readonly string[] = CIFAR10_SPEC.trainFiles;
/** The CIFAR-10 test batch file. */
export const TEST_FILE: string = CIFAR10_SPEC.testFile;
/** The CIFAR-10 class-name file (one name a line). */
export const META_FILE: string = CIFAR10_SPEC.namesFile;
/** The six CIFAR-10 batch files that must all be present. */
export const BATCH_FILES: readonly string[] = [...TRAIN_FILES, TEST_FILE];

/** The record files of a data set that must all be present: training files, then the test file. */
export function recordFiles(spec: CifarSpec): string[] {
  return [...spec.trainFiles, spec.testFile];
}

/** One split: images as stored (N x 3072 bytes, CHW planes) and labels (N bytes). */
export interface CifarSplit {
  /** Pixel bytes, `count * 3072`, each image as three row-major 32x32 planes R, G, B. */
  readonly images: Uint8Array;
  /** Training labels (CIFAR-10: 0-9; CIFAR-100: the fine label, 0-99), one per image. */
  readonly labels: Uint8Array;
  /** CIFAR-100's coarse labels (0-19), one per image; absent for CIFAR-10. */
  readonly coarseLabels?: Uint8Array;
  /** Number of images. */
  readonly count: number;
}

/** Training and test splits with the class names. */
export interface CifarData {
  /** The 50,000 training images of the real data set. */
  readonly train: CifarSplit;
  /** The 10,000 test images of the real data set. */
  readonly test: CifarSplit;
  /** Class names by label. */
  readonly classNames: string[];
  /** Coarse class names by coarse label (CIFAR-100 only). */
  readonly coarseClassNames?: string[];
}

/** A loaded data set, which one it is, and where it came from. */
export interface CifarDataset extends CifarData {
  /** The archive or folder it was read from. */
  readonly source: string;
  /** The data set's descriptor. */
  readonly spec: CifarSpec;
}

/** One record file's bytes, as one or more chunks in order, and the name used in errors. */
export interface RecordBytes {
  /** Name of the file or member, used in error messages. */
  readonly name: string;
  /** The file's bytes, possibly split into chunks. */
  readonly chunks: readonly Uint8Array[];
}

function byteLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/** Checks a record file's size: positive and a whole number of records; returns the record count. */
export function recordCount(name: string, size: number, spec: CifarSpec = CIFAR10_SPEC): number {
  const bytes = spec.recordBytes;
  if (size === 0) throw new DataError(`${name}: empty batch file (0 bytes)`);
  if (size % bytes !== 0) {
    throw new DataError(
      `${name}: ${size} bytes is not a whole number of ${bytes}-byte records ` +
        `(${spec.title}; ${size % bytes} bytes left over: truncated, or another data set?)`,
    );
  }
  return size / bytes;
}

/** Reads the label bytes of one record (`header`) into the outputs; a bad label is a DataError. */
function takeLabels(
  spec: CifarSpec,
  header: Uint8Array,
  record: number,
  out: { labels: Uint8Array; coarse?: Uint8Array },
  where: () => string,
): void {
  const label = header[spec.labelOffset];
  if (label >= spec.classCount) {
    throw new DataError(`${where()} has label ${label}, not 0-${spec.classCount - 1}`);
  }
  out.labels[record] = label;
  if (spec.coarse && out.coarse) {
    const coarse = header[spec.coarse.offset];
    if (coarse >= spec.coarse.classCount) {
      throw new DataError(
        `${where()} has coarse label ${coarse}, not 0-${spec.coarse.classCount - 1}`,
      );
    }
    out.coarse[record] = coarse;
  }
}

/**
 * Decodes record files of `spec`'s format (default CIFAR-10), concatenated in the given
 * order, into one split. Checks each file's size and every label; a problem is a
 * {@linkcode DataError} naming the file.
 */
export function decodeRecords(
  files: readonly RecordBytes[],
  spec: CifarSpec = CIFAR10_SPEC,
): CifarSplit {
  let count = 0;
  for (const file of files) count += recordCount(file.name, byteLength(file.chunks), spec);
  const headerBytes = spec.recordBytes - IMAGE_BYTES;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const out = {
    labels: new Uint8Array(count),
    coarse: spec.coarse ? new Uint8Array(count) : undefined,
  };
  const header = new Uint8Array(headerBytes);
  let record = 0;
  for (const file of files) {
    const first = record;
    const where = () => `${file.name}: record ${record - first}`;
    let inRecord = 0; // bytes of the current record seen so far
    for (const chunk of file.chunks) {
      let i = 0;
      while (i < chunk.length) {
        if (inRecord < headerBytes) {
          header[inRecord++] = chunk[i++];
          if (inRecord === headerBytes) takeLabels(spec, header, record, out, where);
          continue;
        }
        const take = Math.min(spec.recordBytes - inRecord, chunk.length - i);
        images.set(chunk.subarray(i, i + take), record * IMAGE_BYTES + inRecord - headerBytes);
        i += take;
        inRecord += take;
        if (inRecord === spec.recordBytes) {
          inRecord = 0;
          record++;
        }
      }
    }
  }
  return out.coarse
    ? { images, labels: out.labels, coarseLabels: out.coarse, count }
    : { images, labels: out.labels, count };
}

/**
 * Encodes a split (or records `start` to `end` of it) as record-file bytes of `spec`'s
 * format (default CIFAR-10). A format with a coarse label needs the split's `coarseLabels`.
 */
export function encodeRecords(
  split: CifarSplit,
  start = 0,
  end: number = split.count,
  spec: CifarSpec = CIFAR10_SPEC,
): Uint8Array {
  const bytes = spec.recordBytes, headerBytes = bytes - IMAGE_BYTES;
  if (spec.coarse && !split.coarseLabels) {
    throw new RangeError(`encodeRecords: ${spec.title} records need coarse labels`);
  }
  const out = new Uint8Array((end - start) * bytes);
  for (let r = start; r < end; r++) {
    const at = (r - start) * bytes;
    out[at + spec.labelOffset] = split.labels[r];
    if (spec.coarse) out[at + spec.coarse.offset] = split.coarseLabels![r];
    out.set(split.images.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES), at + headerBytes);
  }
  return out;
}

/**
 * Parses a class-name file (`batches.meta.txt`, `fine_label_names.txt`, ...): `count`
 * non-empty class names (default 10), one a line (blank lines ignored, as the official
 * files end with some).
 */
export function parseClassNames(name: string, bytes: Uint8Array, count = CLASS_COUNT): string[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(`${name}: not UTF-8 text`);
  }
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (names.length !== count) {
    throw new DataError(`${name}: ${names.length} class names, expected ${count}`);
  }
  return names;
}

/** Encodes class names as a name file (one a line, with a blank line at the end). */
export function encodeClassNames(names: readonly string[]): Uint8Array {
  return new TextEncoder().encode(names.join("\n") + "\n\n");
}
