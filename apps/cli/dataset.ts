/**
 * Loading the data a command needs: resolve the source (flag, env, cache, download), read
 * and validate it, and take class-balanced subsets.
 *
 * @module
 */
import {
  type CifarSplit,
  createProgressLine,
  loadCifar,
  resolveCifarSource,
  subsetBalanced,
} from "@slimming/cifar";

/** Train and test splits and where they came from. */
export interface LoadedData {
  readonly train: CifarSplit;
  readonly test: CifarSplit;
  readonly source: string;
}

/** Options of {@linkcode loadData}. */
export interface DataOptions {
  /** The --data value (path or URL), if given. */
  readonly data?: string;
  /** Class-balanced training subset size. */
  readonly subset?: number;
  /** Class-balanced test subset size. */
  readonly testSubset?: number;
  readonly seed: number;
}

/** Resolves, loads and subsets CIFAR-10 as the options say. */
export async function loadData(options: DataOptions): Promise<LoadedData> {
  const progress = createProgressLine("downloading CIFAR-10");
  const resolved = await resolveCifarSource({ flag: options.data, onProgress: progress.update });
  progress.finish();
  const dataset = await loadCifar(resolved.path);
  const train = options.subset
    ? subsetBalanced(dataset.train, options.subset, options.seed)
    : dataset.train;
  const test = options.testSubset
    ? subsetBalanced(dataset.test, options.testSubset, options.seed + 1)
    : dataset.test;
  return { train, test, source: resolved.description };
}
