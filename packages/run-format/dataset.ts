/**
 * Which data set a run or lab used, as its records name it. Records written before the
 * field existed were all CIFAR-10.
 *
 * @module
 */

/** The data sets a run can record (the CLI's `--dataset` values). */
export type RunDataset = "cifar10" | "cifar100";

/** How each data set is written in prose and titles. */
export const DATASET_TITLES: Readonly<Record<RunDataset, string>> = {
  cifar10: "CIFAR-10",
  cifar100: "CIFAR-100",
};

/** The data set of a record: its `dataset` field, or `cifar10` when it has none (older records). */
export function datasetOf(record: { readonly dataset?: string } | undefined): RunDataset {
  const name = record?.dataset;
  return name !== undefined && Object.hasOwn(DATASET_TITLES, name) ? name as RunDataset : "cifar10";
}

/** The title (`CIFAR-10`, `CIFAR-100`) of a record's data set; older records mean CIFAR-10. */
export function datasetTitle(record: { readonly dataset?: string } | undefined): string {
  return DATASET_TITLES[datasetOf(record)];
}
