/**
 * The VGG-BN forward pass, a pure function of parameters and input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  avgPool2x2,
  conv3x3BnRelu,
  type ForwardOptions,
  type ForwardResult,
  maxPool2x2,
  type RunningStats,
} from "@slimming/tensor-utils";
import type { VggParams } from "./params.ts";

export type { ForwardOptions, ForwardResult, RunningStats } from "@slimming/tensor-utils";
/**
 * Runs the model on NHWC images `x` [n, 32, 32, 3]: per cfg entry conv3x3-BN-ReLU or 2x2
 * max-pool, then a 2x2 average pool, flatten and the linear layer. Intermediate tensors are
 * freed; only the returned ones are new.
 */
export function forward(params: VggParams, x: tf.Tensor4D, options: ForwardOptions): ForwardResult {
  return tf.tidy((): tf.TensorContainer => {
    const runningStats: RunningStats[] = [];
    let h = x;
    let layer = 0;
    for (const item of params.cfg) {
      if (item === "M") {
        h = maxPool2x2(h);
        continue;
      }
      const { conv, bn } = params.features[layer++];
      const result = conv3x3BnRelu(h, conv.weight, bn, {
        training: options.training,
        momentum: options.bnMomentum,
      });
      if (result.runningMean && result.runningVar) {
        runningStats.push({ runningMean: result.runningMean, runningVar: result.runningVar });
      }
      h = result.y;
    }
    const pooled = avgPool2x2(h);
    const flat = tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(flat, params.classifier.weight), params.classifier.bias);
    const result: ForwardResult = options.training
      ? { logits: logits as tf.Tensor2D, runningStats }
      : { logits: logits as tf.Tensor2D };
    return result as unknown as tf.TensorContainer;
  }) as unknown as ForwardResult;
}
