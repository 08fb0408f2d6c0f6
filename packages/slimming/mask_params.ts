/**
 * The reference's masked model: pruned channels zeroed in place, shapes unchanged.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { cloneTree } from "@slimming/tensor-utils";
import type { VggParams } from "@slimming/vgg";
import { checkMasksFit } from "./_masks_check.ts";

function zeroWhereMasked(values: tf.Tensor1D, mask: readonly boolean[]): tf.Tensor1D {
  return tf.tidy(() => {
    const keep = tf.tensor1d(mask.map((k) => (k ? 1 : 0)), "bool");
    return tf.where(keep, values, tf.zerosLike(values)) as tf.Tensor1D;
  });
}

/**
 * A new model equal to `params` except that BN gamma and beta of every pruned channel
 * (`masks[layer][channel] === false`) are 0, as `vggprune.py` leaves the model before
 * copying: such a channel outputs relu(0) = 0, whatever its running statistics. Every tensor
 * of the result is new (clones share memory but are disposed independently), so the caller
 * disposes the result and `params` separately. Masks that do not fit are a UsageError.
 */
export function maskParams(params: VggParams, masks: readonly (readonly boolean[])[]): VggParams {
  checkMasksFit(params, masks);
  return {
    arch: params.arch,
    cfg: [...params.cfg],
    features: params.features.map((layer, i) => ({
      conv: { weight: layer.conv.weight.clone() },
      bn: {
        gamma: zeroWhereMasked(layer.bn.gamma, masks[i]),
        beta: zeroWhereMasked(layer.bn.beta, masks[i]),
        runningMean: layer.bn.runningMean.clone(),
        runningVar: layer.bn.runningVar.clone(),
      },
    })),
    classifier: cloneTree(params.classifier),
  };
}
