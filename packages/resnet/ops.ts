/**
 * The pre-activation ResNet as a {@linkcode ModelOps}: what the command line's training loop
 * needs.
 *
 * @module
 */
import type { ModelOps } from "@slimming/tensor-utils";
import { forward } from "./forward.ts";
import {
  batchNorms,
  type ResnetParams,
  trainableLeaves,
  withRunningStats,
  withTrainable,
} from "./params.ts";

/** The ResNet operations over {@linkcode ResnetParams}. */
export const resnetOps: ModelOps<ResnetParams> = {
  arch: "resnet",
  forward,
  trainableLeaves,
  withTrainable,
  batchNorms,
  withRunningStats,
};
