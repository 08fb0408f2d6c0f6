/**
 * What every stage of a lab run shares.
 *
 * @module
 */
import type { BackendInfo } from "@slimming/kernels";
import type { LabEvent, LabStage } from "@slimming/run-format";
import type { ModelSpec } from "@slimming/architectures";
import type { LoadedData } from "../dataset.ts";
import type { ProgressPrinter } from "@slimming/train";
import type { LabOptions } from "./options.ts";

/** The lab's options, model, backend, data, output and the events recorded so far. */
export interface LabContext {
  readonly options: LabOptions;
  /** The sparsity-trained model's spec (architecture and cfg). */
  readonly spec: ModelSpec;
  readonly backend: BackendInfo;
  readonly data: LoadedData;
  readonly progress: ProgressPrinter;
  readonly log: (line: string) => void;
  /** Events of this run of the lab; stage runners append to it. */
  readonly events: LabEvent[];
}

/** How a stage ended. */
export interface StageOutcome {
  readonly status: LabStage["status"];
  /** True when an earlier run of the lab had already completed it. */
  readonly alreadyDone: boolean;
  /** A training or fine-tune: epochs committed. */
  readonly epochs?: number;
}
