/**
 * Test models for the export tests: small VGGs with random BN statistics (so folding and
 * pruning are not trivial), as a parameter tree and as its state_dict.
 *
 * @module
 */
import { createRng, disposeTree, type NamedArray } from "@slimming/tensor-utils";
import { type Cfg, fromStateDict, initVgg, toStateDict, type VggParams } from "@slimming/vgg";

/** VGG-11 at width 1/8: 8, M, 16, M, 32, 32, M, 64, 64, M, 64, 64. */
export const SMALL_CFG: Cfg = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64];

/**
 * A model of `cfg` with the reference initialisation for convs and head and random BN
 * tensors: |gamma| spread over [0.02, 1.5) with random signs, beta N(0, 0.2), running mean
 * N(0, 0.3), running variance in [0.3, 2), head bias N(0, 0.1). New tensors the caller disposes.
 */
export async function randomBnVgg(cfg: Cfg, seed: number): Promise<VggParams> {
  const init = initVgg({ cfg, seed });
  const dict: Record<string, NamedArray> = await toStateDict(init);
  disposeTree(init);
  const rng = createRng(seed, 99);
  for (const [key, entry] of Object.entries(dict)) {
    if (!(entry.data instanceof Float32Array) || entry.shape.length !== 1) continue;
    const data = entry.data;
    for (let i = 0; i < data.length; i++) {
      if (key.endsWith(".weight")) {
        data[i] = (0.02 + 1.48 * rng.next()) * (rng.next() < 0.15 ? -1 : 1);
      } else if (key.endsWith("running_mean")) data[i] = 0.3 * rng.normal();
      else if (key.endsWith("running_var")) data[i] = 0.3 + 1.7 * rng.next();
      else if (key === "classifier.bias") data[i] = 0.1 * rng.normal();
      else if (key.endsWith(".bias")) data[i] = 0.2 * rng.normal();
    }
  }
  return fromStateDict({ metadata: { cfg: JSON.stringify(cfg) }, tensors: dict });
}

/** `count` NHWC images [count, 32, 32, 3] of N(0, 1) values (already "normalised"). */
export function randomImages(count: number, seed: number): Float32Array {
  const rng = createRng(seed, 7);
  return Float32Array.from({ length: count * 3072 }, () => rng.normal());
}

/** NHWC -> NCHW for [n, 32, 32, 3] images. */
export function nhwcToNchw(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[b * 3072 + c * 1024 + p] = x[b * 3072 + p * 3 + c];
    }
  }
  return out;
}
