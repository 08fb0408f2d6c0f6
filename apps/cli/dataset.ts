/**
 * Loading the data a command needs: the `--dataset` option, resolving the source (flag,
 * env, cache, download), reading and validating it, and taking class-balanced subsets.
 *
 * @module
 */
import {
  CIFAR10_SPEC,
  type CifarSpec,
  cifarSpec,
  createProgressLine,
  DATASET_NAMES,
  loadCifar,
  resolveCifarSource,
  subsetBalanced,
} from "@slimming/cifar";
import type { LoadedData } from "@slimming/train";
import { type OptionSpec, type ParsedOptions, requiredString } from "./cli_args.ts";

/** The `--dataset` option: which data set, and so how many classes the model's head has. */
export const DATASET_OPTION: OptionSpec = {
  type: "string",
  value: "NAME",
  help: `${DATASET_NAMES.join(" or ")} (the model's head gets its class count)`,
  default: CIFAR10_SPEC.name,
};

/** The `--data` option: where the data set's files are. */
export const DATA_OPTION: OptionSpec = {
  type: "string",
  value: "PATH|URL",
  help: "the --dataset's binary archive, folder or URL (else $CIFAR10_PATH or $CIFAR100_PATH, " +
    "./data/, download)",
};

/** The data set `--dataset` names (CIFAR-10 when absent); another name is a UsageError. */
export function datasetOption(values: ParsedOptions): CifarSpec {
  return values.dataset === undefined ? CIFAR10_SPEC : cifarSpec(requiredString(values, "dataset"));
}

export type { LoadedData };

/** Options of {@linkcode loadData}. */
export interface DataOptions {
  /** The data set (default CIFAR-10). */
  readonly dataset?: CifarSpec;
  /** The --data value (path or URL), if given. */
  readonly data?: string;
  /** Class-balanced training subset size. */
  readonly subset?: number;
  /** Class-balanced test subset size. */
  readonly testSubset?: number;
  readonly seed: number;
}

/** Resolves, loads and subsets the data set as the options say. */
export async function loadData(options: DataOptions): Promise<LoadedData> {
  const spec = options.dataset ?? CIFAR10_SPEC;
  const progress = createProgressLine(`downloading ${spec.title}`);
  const resolved = await resolveCifarSource({
    spec,
    flag: options.data,
    onProgress: progress.update,
  });
  progress.finish();
  const dataset = await loadCifar(resolved.path, { spec });
  const classes = spec.classCount;
  const train = options.subset
    ? subsetBalanced(dataset.train, options.subset, options.seed, classes)
    : dataset.train;
  const test = options.testSubset
    ? subsetBalanced(dataset.test, options.testSubset, options.seed + 1, classes)
    : dataset.test;
  return { train, test, source: resolved.description, spec };
}
