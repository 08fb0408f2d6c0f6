/**
 * The gradients of the fused kernels (backend independent): the training conv -> BN -> ReLU
 * kernel's backward is the BN + ReLU backward followed by the two conv gradients; the
 * pre-activation BN -> ReLU's is the same BN + ReLU backward with z = x, and BN -> ReLU -> 1x1
 * conv's adds the conv's input gradient before it and a filter gradient that recomputes the
 * activation.
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
  // BN -> ReLU -> 1x1 conv: the conv's input gradient, the BN + ReLU backward with z = x, and
  // the filter gradient on the recomputed activation.
  tf.registerGradient({
    kernelName: FUSED.bnReluConv1x1,
    inputsToSave: ["x", "gamma", "beta", "weight"],
    outputsToSave: [false, true, true, false, false],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, gamma, beta, weight, mean, variance] = saved;
      const engine = tf.engine();
      const eps = attrs.eps as number;
      const dact = engine.runKernel(
        "Conv2DBackpropInput",
        { dy, filter: weight },
        { strides: 1, pad: "valid", dataFormat: "NHWC", inputShape: x.shape },
      ) as tf.Tensor;
      const [dx, dgamma, dbeta] = engine.runKernel(
        FUSED.bnReluGrad,
        { dy: dact, z: x, gamma, beta, mean, variance },
        { eps },
      ) as tf.Tensor[];
      dact.dispose();
      return {
        x: () => dx,
        gamma: () => dgamma,
        beta: () => dbeta,
        weight: () =>
          engine.runKernel(
            FUSED.conv1x1GradFilterBnRelu,
            { x, dy, gamma, beta, mean, variance },
            { eps },
          ) as tf.Tensor,
      };
    },
  });
}
