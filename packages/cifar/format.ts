/**
 * The CIFAR-10 binary format: record layout, member names, class names and the in-memory
 * split type, plus the decoder from record bytes to a split and the encoder back.
 *
 * A record is 3073 bytes: one label byte (0-9), then the 1024 red, 1024 green and 1024
 * blue bytes of a 32x32 image, each plane row-major. Images are kept exactly as stored
 * (CHW planes, 3072 bytes per image).
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";

/** Image side in pixels. */
export const IMAGE_SIZE: number = 32;
/** Colour channels per image. */
export const CHANNELS: number = 3;
/** Pixel bytes per image (3 planes of 32x32). */
export const IMAGE_BYTES: number = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
/** Bytes per record: a label byte and the image bytes. */
export const RECORD_BYTES: number = IMAGE_BYTES + 1;
/** Number of classes; labels are 0 to 9. */
export const CLASS_COUNT: number = 10;

/** The ten class names in label order (as in the official `batches.meta.txt`). */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Folder inside the official archive that holds the batch files. */
export const ARCHIVE_FOLDER: string = "cifar-10-batches-bin";
/** The five training batch files, in the order their records are concatenated. */
export const TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** The test batch file. */
export const TEST_FILE: string = "test_batch.bin";
/** The class-name file (one name a line). */
export const META_FILE: string = "batches.meta.txt";
/** The six batch files that must all be present. */
export const BATCH_FILES: readonly string[] = [...TRAIN_FILES, TEST_FILE];

/** One split: images as stored (N x 3072 bytes, CHW planes) and labels (N bytes). */
export interface CifarSplit {
  /** Pixel bytes, `count * 3072`, each image as three row-major 32x32 planes R, G, B. */
  readonly images: Uint8Array;
  /** Labels 0-9, one per image. */
  readonly labels: Uint8Array;
  /** Number of images. */
  readonly count: number;
}

/** Training and test splits with the class names. */
export interface CifarData {
  /** The 50,000 training images of the real data set (all five training batches). */
  readonly train: CifarSplit;
  /** The 10,000 test images of the real data set. */
  readonly test: CifarSplit;
  /** Class names by label. */
  readonly classNames: string[];
}

/** A loaded data set and where it came from. */
export interface CifarDataset extends CifarData {
  /** The archive or folder it was read from. */
  readonly source: string;
}

/** One batch file's bytes, as one or more chunks in order, and the name used in errors. */
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

/** Checks a batch file's size: positive and a whole number of records; returns the record count. */
export function recordCount(name: string, size: number): number {
  if (size === 0) throw new DataError(`${name}: empty batch file (0 bytes)`);
  if (size % RECORD_BYTES !== 0) {
    throw new DataError(
      `${name}: ${size} bytes is not a whole number of ${RECORD_BYTES}-byte records ` +
        `(${size % RECORD_BYTES} bytes left over; truncated?)`,
    );
  }
  return size / RECORD_BYTES;
}

/**
 * Decodes batch files, concatenated in the given order, into one split. Checks each
 * file's size and every label; a problem is a {@linkcode DataError} naming the file.
 */
export function decodeRecords(files: readonly RecordBytes[]): CifarSplit {
  let count = 0;
  for (const file of files) count += recordCount(file.name, byteLength(file.chunks));
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let record = 0;
  for (const file of files) {
    const first = record;
    let inRecord = 0; // bytes of the current record seen so far
    for (const chunk of file.chunks) {
      let i = 0;
      while (i < chunk.length) {
        if (inRecord === 0) {
          const label = chunk[i];
          if (label >= CLASS_COUNT) {
            throw new DataError(
              `${file.name}: record ${record - first} has label ${label}, not 0-9`,
            );
          }
          labels[record] = label;
          i++;
          inRecord = 1;
        } else {
          const take = Math.min(RECORD_BYTES - inRecord, chunk.length - i);
          images.set(chunk.subarray(i, i + take), record * IMAGE_BYTES + inRecord - 1);
          i += take;
          inRecord += take;
          if (inRecord === RECORD_BYTES) {
            inRecord = 0;
            record++;
          }
        }
      }
    }
  }
  return { images, labels, count };
}

/** Encodes a split (or records `start` to `end` of it) as batch-file bytes. */
export function encodeRecords(split: CifarSplit, start = 0, end = split.count): Uint8Array {
  const out = new Uint8Array((end - start) * RECORD_BYTES);
  for (let r = start; r < end; r++) {
    const at = (r - start) * RECORD_BYTES;
    out[at] = split.labels[r];
    out.set(split.images.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES), at + 1);
  }
  return out;
}

/**
 * Parses `batches.meta.txt`: ten non-empty class names, one a line (blank lines ignored,
 * as the official file ends with some).
 */
export function parseClassNames(name: string, bytes: Uint8Array): string[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(`${name}: not UTF-8 text`);
  }
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (names.length !== CLASS_COUNT) {
    throw new DataError(`${name}: ${names.length} class names, expected ${CLASS_COUNT}`);
  }
  return names;
}

/** Encodes class names as `batches.meta.txt` (one a line, with a blank line at the end). */
export function encodeClassNames(names: readonly string[]): Uint8Array {
  return new TextEncoder().encode(names.join("\n") + "\n\n");
}
