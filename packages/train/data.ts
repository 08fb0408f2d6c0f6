/**
 * What a training run reads: the train and test splits and which data set they are.
 *
 * @module
 */
import type { CifarSpec, CifarSplit } from "@slimming/cifar";

/** Train and test splits, which data set they are, and where they came from. */
export interface LoadedData {
  readonly train: CifarSplit;
  readonly test: CifarSplit;
  readonly source: string;
  /** The data set: its name, class count, normalisation. */
  readonly spec: CifarSpec;
}
