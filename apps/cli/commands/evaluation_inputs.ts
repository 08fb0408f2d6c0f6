/**
 * What the commands that judge a checkpoint (`eval`, `prune`) start from: the backend, the
 * model, and the test data.
 *
 * @module
 */
import { type BackendInfo, useBackend } from "@slimming/kernels";
import type { ModelParams } from "@slimming/architectures";
import { numberOption, type OptionSpecs, type ParsedOptions, stringOption } from "../cli_args.ts";
import { loadModel } from "@slimming/train";
import { datasetOption, loadData, type LoadedData } from "../dataset.ts";
import { checkCheckpointDataset } from "../dataset_guard.ts";
import { TRAINING_OPTIONS } from "./training_options.ts";

/** The options of the backend and the test data. */
export const EVALUATION_OPTIONS: OptionSpecs = {
  dataset: TRAINING_OPTIONS.dataset,
  data: TRAINING_OPTIONS.data,
  "test-subset": TRAINING_OPTIONS["test-subset"],
  backend: TRAINING_OPTIONS.backend,
  threads: TRAINING_OPTIONS.threads,
};

/**
 * Checks the checkpoint against `--dataset`, starts the backend, loads the checkpoint (the
 * caller disposes it) and the data.
 */
export async function loadForEvaluation(
  values: ParsedOptions,
  checkpoint: string,
  seed: number,
  log: (line: string) => void,
): Promise<{ backend: BackendInfo; params: ModelParams; data: LoadedData }> {
  const dataset = datasetOption(values);
  await checkCheckpointDataset(checkpoint, dataset);
  const backend = await useBackend(stringOption(values, "backend") ?? "auto", {
    threads: numberOption(values, "threads", { integer: true, min: 1 }),
    log,
  });
  const { params } = await loadModel(checkpoint);
  const data = await loadData({
    dataset,
    data: stringOption(values, "data"),
    testSubset: numberOption(values, "test-subset", { integer: true, min: 10 }),
    seed,
  });
  return { backend, params, data };
}
