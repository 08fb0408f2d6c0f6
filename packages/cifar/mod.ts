/**
 * CIFAR-10 and CIFAR-100 for the Network Slimming reproduction: reading the official
 * binary archives (or an extracted folder), finding or downloading them, class-balanced
 * subsets, seeded epoch order, normalised and augmented NHWC batches, and a synthetic
 * look-alike for tests. What differs between the two data sets is one descriptor
 * ({@linkcode CifarSpec}: `CIFAR10_SPEC`, `CIFAR100_SPEC`, `cifarSpec(name)`); every
 * function takes it (default CIFAR-10).
 *
 * ```ts ignore
 * import { cifarSpec, loadCifar, resolveCifarSource, epochOrder, batchesOf, augmentRng, makeBatch } from "@slimming/cifar";
 *
 * const spec = cifarSpec("cifar100");
 * const { path } = await resolveCifarSource({ spec, flag: undefined });
 * const data = await loadCifar(path, { spec });
 * const batches = batchesOf(epochOrder(data.train.count, 1, 0), 64);
 * const { x, y } = makeBatch(data.train, batches[0], { augment: true, rng: augmentRng(1, 0, 0) });
 * ```
 *
 * @module
 */
export {
  ARCHIVE_FOLDER,
  BATCH_FILES,
  CHANNELS,
  CIFAR10_CLASSES,
  type CifarData,
  type CifarDataset,
  type CifarSplit,
  CLASS_COUNT,
  decodeRecords,
  encodeRecords,
  IMAGE_BYTES,
  IMAGE_SIZE,
  META_FILE,
  RECORD_BYTES,
  type RecordBytes,
  recordFiles,
  TEST_FILE,
  TRAIN_FILES,
} from "./format.ts";
export {
  CIFAR100_SPEC,
  CIFAR10_SPEC,
  CIFAR_SPECS,
  type CifarSpec,
  cifarSpec,
  type CoarseLabelSpec,
  DATASET_NAMES,
  type DatasetName,
  specOfUrl,
} from "./spec.ts";
export { CIFAR100_CLASSES, CIFAR100_COARSE_CLASSES } from "./class_names.ts";
export {
  loadCifar,
  type LoadOptions,
  MAX_BATCH_BYTES,
  MAX_META_BYTES,
  MAX_TAR_BYTES,
} from "./load.ts";
export {
  CACHE_FILE,
  ENV_VAR,
  isCachedArchive,
  resolveCifarSource,
  type ResolvedSource,
  type ResolveOptions,
} from "./source.ts";
export {
  downloadFile,
  type DownloadOptions,
  type DownloadResult,
  hashFile,
  OFFICIAL_MD5,
  OFFICIAL_URL,
  PARTIAL_SUFFIX,
  type ProgressCallback,
} from "./download.ts";
export {
  createProgressLine,
  formatProgress,
  type ProgressLine,
  type ProgressLineOptions,
} from "./progress.ts";
export { selectRecords, subsetBalanced, subsetIndices } from "./subset.ts";
export {
  AUGMENT_STREAM,
  augmentRng,
  batchesOf,
  epochOrder,
  ORDER_STREAM,
  SUBSET_STREAM,
} from "./order.ts";
export {
  CROP_PADDING,
  drawTransform,
  IDENTITY_TRANSFORM,
  type ImageTransform,
  transformImage,
} from "./augment.ts";
export {
  type Batch,
  type BatchOptions,
  CIFAR10_MEAN,
  CIFAR10_STD,
  makeBatch,
  normalizationTable,
  normalizePixel,
} from "./batch.ts";
export {
  classColour,
  syntheticCifar,
  type SyntheticOptions,
  writeSyntheticArchive,
  writeSyntheticFolder,
} from "./synthetic.ts";
export { cifarFiles, cifarTarEntries, writeCifarArchive, writeCifarFolder } from "./write.ts";
export { encodeTar, type TarEntry, tarHeader } from "./tar_writer.ts";
export { type TarHeader, type TarMember, TarReader, type TarReaderOptions } from "./tar_reader.ts";
export { gunzip, gzip, isGzipMagic } from "./gzip.ts";
/** The seeded generator type that {@linkcode makeBatch} and {@linkcode drawTransform} take. */
export type { Rng } from "@slimming/tensor-utils/core";
