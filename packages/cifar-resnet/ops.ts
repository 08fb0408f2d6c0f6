/**
 * The CIFAR ResNet as a {@linkcode ModelOps}: what the training loop, evaluation, BN
 * recalibration and the sparsity term need.
 *
 * @module
 */
import type { ModelOps } from "@slimming/tensor-utils";
import { CIFAR_RESNET_ARCH } from "./cfg.ts";
import { cifarResnetForward } from "./forward.ts";
import {
  cifarResnetBatchNorms,
  type CifarResnetParams,
  cifarResnetTrainableLeaves,
  cifarResnetWithRunningStats,
  cifarResnetWithTrainable,
} from "./params.ts";

/**
 * The operations over {@linkcode CifarResnetParams}. Only each block's bn1 scale factors
 * are named `.gamma`, so only they get the sparsity term (see `cifarResnetTrainableLeaves`);
 * `batchNorms` lists every BN (all their running statistics update).
 */
export const cifarResnetOps: ModelOps<CifarResnetParams> = {
  arch: CIFAR_RESNET_ARCH,
  forward: cifarResnetForward,
  trainableLeaves: cifarResnetTrainableLeaves,
  withTrainable: cifarResnetWithTrainable,
  batchNorms: cifarResnetBatchNorms,
  withRunningStats: cifarResnetWithRunningStats,
};
