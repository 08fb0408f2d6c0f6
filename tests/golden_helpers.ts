/**
 * Access to the PyTorch golden vectors in ../shared/fixtures/reference (see its README).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { decodeSafetensors, type NamedArray, type SafetensorsFile } from "@slimming/tensor-utils";

const base = new URL("../../shared/fixtures/reference/", import.meta.url);

/** Whether the golden fixtures are present beside the project. */
export const haveGolden: boolean = (() => {
  try {
    Deno.statSync(new URL("golden.safetensors", base));
    return true;
  } catch {
    return false;
  }
})();

/** The golden tensors and golden.json. */
export interface Golden {
  readonly tensors: Record<string, NamedArray>;
  readonly json: {
    cfg: Array<number | "M">;
    sgd: { lambda: number; lr: number; momentum: number; weight_decay: number; losses: number[] };
    prune: Record<
      string,
      { threshold: number; kept: number[]; total: number; cfg?: Array<number | "M"> }
    >;
  };
}

/** Loads the golden fixtures. */
export function loadGolden(): Golden {
  const file = decodeSafetensors(Deno.readFileSync(new URL("golden.safetensors", base)));
  const json = JSON.parse(Deno.readTextFileSync(new URL("golden.json", base)));
  return { tensors: file.tensors, json };
}

/** The golden tensors under `prefix` as a state_dict file with `cfg` metadata. */
export function stateDictAt(golden: Golden, prefix: string, cfg: unknown): SafetensorsFile {
  const tensors: Record<string, NamedArray> = {};
  for (const [k, v] of Object.entries(golden.tensors)) {
    if (k.startsWith(prefix)) tensors[k.slice(prefix.length)] = v;
  }
  return { tensors, metadata: { cfg: JSON.stringify(cfg) } };
}

/** The golden input images as NHWC. */
export function goldenInput(golden: Golden): tf.Tensor4D {
  const x = golden.tensors["input.x_nchw"];
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(x.data as Float32Array, x.shape as [number, number, number, number]), [
      0,
      2,
      3,
      1,
    ])
  );
}

/** Largest absolute difference between a tensor and golden values, relative to their scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1e-12;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  }
  if (actual.length !== expected.length) return Infinity;
  return diff / scale;
}
