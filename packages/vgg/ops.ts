/**
 * VGG as a {@linkcode ModelOps}: what the command line's training loop needs.
 *
 * @module
 */
import type { BatchNormState, ModelOps } from "@slimming/tensor-utils";
import { forward } from "./forward.ts";
import { trainableLeaves, type VggParams, withRunningStats, withTrainable } from "./params.ts";

/** Every BN layer's state, in forward order. */
export function batchNorms(params: VggParams): BatchNormState[] {
  return params.features.map((layer) => layer.bn);
}

/** The VGG operations over {@linkcode VggParams}. */
export const vggOps: ModelOps<VggParams> = {
  arch: "vgg",
  forward,
  trainableLeaves,
  withTrainable,
  batchNorms,
  withRunningStats,
};
