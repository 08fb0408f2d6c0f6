/**
 * DenseNet as a {@linkcode ModelOps}: what the command line's training loop needs.
 *
 * @module
 */
import type { ModelOps } from "@slimming/tensor-utils";
import { forward } from "./forward.ts";
import {
  batchNorms,
  type DensenetParams,
  trainableLeaves,
  withRunningStats,
  withTrainable,
} from "./params.ts";

/** The DenseNet operations over {@linkcode DensenetParams}. */
export const densenetOps: ModelOps<DensenetParams> = {
  arch: "densenet",
  forward,
  trainableLeaves,
  withTrainable,
  batchNorms,
  withRunningStats,
};
