/**
 * The gradients of the fused kernels (backend independent): the training conv -> BN -> ReLU
 * kernel's backward is the BN + ReLU backward followed by the two conv gradients; the
 * pre-activation BN -> ReLU's is the same BN + ReLU backward with z = x.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED } from "@slimming/tensor-utils";
import type { Attrs } from "./backend_util.ts";

let gradientsRegistered = false;

/** Registers the gradients of the fused kernels (backend independent, once per process). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: FUSED.convBnRelu,
    inputsToSave: ["x", "weight", "gamma", "beta"],
    outputsToSave: [false, true, true, true, false, false],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, weight, gamma, beta, z, mean, variance] = saved;
      const engine = tf.engine();
      const [dz, dgamma, dbeta] = engine.runKernel(
        FUSED.bnReluGrad,
        { dy, z, gamma, beta, mean, variance },
        { eps: attrs.eps as number },
      ) as tf.Tensor[];
      return {
        x: () => engine.runKernel(FUSED.conv3x3GradInput, { dz, weight }, {}) as tf.Tensor,
        weight: () => engine.runKernel(FUSED.conv3x3GradFilter, { x, dz }, {}) as tf.Tensor,
        gamma: () => dgamma,
        beta: () => dbeta,
      };
    },
  });
  tf.registerGradient({
    kernelName: FUSED.bnRelu,
    inputsToSave: ["x", "gamma", "beta"],
    outputsToSave: [false, true, true, false, false],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, gamma, beta, mean, variance] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        FUSED.bnReluGrad,
        { dy, z: x, gamma, beta, mean, variance },
        { eps: attrs.eps as number },
      ) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}
