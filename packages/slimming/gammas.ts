/**
 * Reading the BN scaling factors (gamma) of a model onto the CPU, the values every
 * pruning decision is made from.
 *
 * @module
 */
import { type BatchNormState, UsageError } from "@slimming/tensor-utils";

/** |values| as a new array; a NaN or infinite value is a UsageError naming the layer. */
export function absCopy(values: ArrayLike<number>, layer: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let c = 0; c < values.length; c++) {
    const v = values[c];
    if (!Number.isFinite(v)) {
      throw new UsageError(
        `BN gamma ${c} of layer ${layer} is ${v}: cannot rank channels of a diverged model`,
      );
    }
    out[c] = Math.abs(v);
  }
  return out;
}

/**
 * |gamma| of the given BN layers (any architecture's `ops.batchNorms(params)`), in their
 * order, as new arrays. Reads synchronously (`dataSync`): fine on the cpu and wasm backends;
 * on a backend without synchronous reads use {@linkcode absGammasOfLayers}. A NaN or
 * infinite gamma is a UsageError.
 */
export function absGammasOfLayersSync(layers: readonly BatchNormState[]): Float32Array[] {
  return layers.map((bn, i) => absCopy(bn.gamma.dataSync(), i));
}

/**
 * |gamma| of the given BN layers (any architecture's `ops.batchNorms(params)`), in their
 * order, read asynchronously so it works on every backend.
 */
export async function absGammasOfLayers(
  layers: readonly BatchNormState[],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [i, bn] of layers.entries()) out.push(absCopy(await bn.gamma.data(), i));
  return out;
}
