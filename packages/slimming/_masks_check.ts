/**
 * Checks that a list of keep masks fits a model.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils";
import type { VggParams } from "@slimming/vgg";

/** Throws a UsageError unless `masks` has one mask per BN layer of the layer's width. */
export function checkMasksFit(params: VggParams, masks: readonly (readonly boolean[])[]): void {
  if (masks.length !== params.features.length) {
    throw new UsageError(`${masks.length} masks for ${params.features.length} BN layers`);
  }
  masks.forEach((mask, i) => {
    const channels = params.features[i].bn.gamma.shape[0];
    if (mask.length !== channels) {
      throw new UsageError(`mask ${i} has ${mask.length} entries for ${channels} channels`);
    }
  });
}
