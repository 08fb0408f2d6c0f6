/**
 * The data-set descriptors: everything that differs between CIFAR-10 and CIFAR-100 in
 * their official binary archives (record layout, member names, class names, where to get
 * the archive, its md5) and in the reference's input normalisation. Reading, validation,
 * subsets, download and caching are one code path parameterised by a {@linkcode CifarSpec}.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";
import { CIFAR100_CLASSES, CIFAR100_COARSE_CLASSES, CIFAR10_CLASSES } from "./class_names.ts";

/** Pixel bytes per image (3 planes of 32x32), after the label bytes of each record. */
const PIXEL_BYTES = 3 * 32 * 32;

/** The data sets this package reads. */
export type DatasetName = "cifar10" | "cifar100";

/** A second label byte kept beside the training label (CIFAR-100's superclass). */
export interface CoarseLabelSpec {
  /** Byte offset of the coarse label in a record. */
  readonly offset: number;
  /** Number of coarse classes; labels are 0 to `classCount - 1`. */
  readonly classCount: number;
  /** Member file with the coarse class names (one a line; optional in an archive). */
  readonly namesFile: string;
  /** The official coarse class names, used when the names file is absent. */
  readonly classNames: readonly string[];
}

/** One data set's binary format and origin. */
export interface CifarSpec {
  /** The `--dataset` value and the name recorded in run files. */
  readonly name: DatasetName;
  /** How people write it: `CIFAR-10`, `CIFAR-100`. */
  readonly title: string;
  /** Bytes per record: the label bytes, then 3072 pixel bytes (R, G, B planes). */
  readonly recordBytes: number;
  /** Byte offset of the training label in a record (CIFAR-100: the fine label). */
  readonly labelOffset: number;
  /** Number of classes of the training label; labels are 0 to `classCount - 1`. */
  readonly classCount: number;
  /** The coarse label, when records carry one. */
  readonly coarse?: CoarseLabelSpec;
  /** Folder inside the archive that holds the files. */
  readonly folder: string;
  /** Training files, in the order their records are concatenated. */
  readonly trainFiles: readonly string[];
  /** The test file. */
  readonly testFile: string;
  /** Member file with the class names (one a line; optional in an archive). */
  readonly namesFile: string;
  /** The official class names, used when the names file is absent. */
  readonly classNames: readonly string[];
  /** Name of the official archive, also its name in the cache folder. */
  readonly archiveFile: string;
  /** URL of the official archive. */
  readonly url: string;
  /** md5 of the official archive, as published on the CIFAR page. */
  readonly md5: string;
  /** Default largest record file accepted, in bytes (the real ones are at most 2/3 of it). */
  readonly maxFileBytes: number;
  /** Environment variable naming a local copy (archive, folder or URL). */
  readonly envVar: string;
  /** Per-channel mean on pixel / 255 used to normalise inputs. */
  readonly mean: readonly [number, number, number];
  /** Per-channel standard deviation on pixel / 255 used to normalise inputs. */
  readonly std: readonly [number, number, number];
}

/** Per-channel mean of the training pixels (on pixel / 255), as in the reference code. */
export const CIFAR10_MEAN: readonly [number, number, number] = [0.4914, 0.4822, 0.4465];
/** Per-channel standard deviation used by the reference code (on pixel / 255). */
export const CIFAR10_STD: readonly [number, number, number] = [0.2023, 0.1994, 0.2010];

/** CIFAR-10: 1 label byte (0-9) per record; five training batches and a test batch. */
export const CIFAR10_SPEC: CifarSpec = {
  name: "cifar10",
  title: "CIFAR-10",
  recordBytes: 1 + PIXEL_BYTES,
  labelOffset: 0,
  classCount: 10,
  folder: "cifar-10-batches-bin",
  trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  testFile: "test_batch.bin",
  namesFile: "batches.meta.txt",
  classNames: CIFAR10_CLASSES,
  archiveFile: "cifar-10-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  md5: "c32a1d4ab5d03f1284b67883e8d87530",
  maxFileBytes: 50_000_000,
  envVar: "CIFAR10_PATH",
  mean: CIFAR10_MEAN,
  std: CIFAR10_STD,
};

/**
 * CIFAR-100: 2 label bytes per record, the coarse label (0-19) then the fine label (0-99,
 * the training target); `train.bin` (50,000 records) and `test.bin` (10,000). The
 * reference's `main.py` normalises CIFAR-100 with the CIFAR-10 mean and std, and so do we.
 */
export const CIFAR100_SPEC: CifarSpec = {
  name: "cifar100",
  title: "CIFAR-100",
  recordBytes: 2 + PIXEL_BYTES,
  labelOffset: 1,
  classCount: 100,
  coarse: {
    offset: 0,
    classCount: 20,
    namesFile: "coarse_label_names.txt",
    classNames: CIFAR100_COARSE_CLASSES,
  },
  folder: "cifar-100-binary",
  trainFiles: ["train.bin"],
  testFile: "test.bin",
  namesFile: "fine_label_names.txt",
  classNames: CIFAR100_CLASSES,
  archiveFile: "cifar-100-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
  md5: "03b5dce01913d631647c71ecec9e9cb8",
  maxFileBytes: 250_000_000,
  envVar: "CIFAR100_PATH",
  mean: CIFAR10_MEAN,
  std: CIFAR10_STD,
};

/** Every data set by name. */
export const CIFAR_SPECS: Readonly<Record<DatasetName, CifarSpec>> = {
  cifar10: CIFAR10_SPEC,
  cifar100: CIFAR100_SPEC,
};

/** The names `--dataset` accepts. */
export const DATASET_NAMES: readonly DatasetName[] = ["cifar10", "cifar100"];

/** The descriptor of a data set name; anything else is a one-line {@linkcode UsageError}. */
export function cifarSpec(name: string): CifarSpec {
  if (!Object.hasOwn(CIFAR_SPECS, name)) {
    throw new UsageError(`--dataset must be one of ${DATASET_NAMES.join(", ")}, got "${name}"`);
  }
  return CIFAR_SPECS[name as DatasetName];
}

/** The descriptor whose official archive is at `url`, if any. */
export function specOfUrl(url: string): CifarSpec | undefined {
  return DATASET_NAMES.map((n) => CIFAR_SPECS[n]).find((s) => s.url === url);
}
