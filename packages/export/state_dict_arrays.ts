/**
 * Reading a state_dict's float32 arrays for export, with size checks: plain tensors, a BN
 * layer's four arrays, and a channel selection's kept indices.
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import type { BatchNormArrays } from "./inference_model.ts";

/** Readers of one state_dict; every mismatch is a RangeError naming the tensor. */
export interface StateDictArrays {
  /** The float32 tensor `key`, `length` values long when given. */
  floats(key: string, length?: number): Float32Array;
  /** BN `prefix` (`weight`, `bias`, `running_mean`, `running_var`), `width` channels. */
  batchNorm(prefix: string, width: number, eps: number): BatchNormArrays;
  /** The kept channels (ascending) of the 0/1 vector `key` over `width`, `count` of them. */
  selection(key: string, width: number, count: number): number[];
}

/** The readers of `stateDict`. */
export function stateDictArrays(
  stateDict: Readonly<Record<string, NamedArray>>,
): StateDictArrays {
  const floats = (key: string, length?: number): Float32Array => {
    const entry = stateDict[key];
    if (!entry || !(entry.data instanceof Float32Array)) {
      throw new RangeError(`state_dict has no float32 ${key}`);
    }
    if (length !== undefined && entry.data.length !== length) {
      throw new RangeError(`state_dict ${key} has ${entry.data.length} values, expected ${length}`);
    }
    return entry.data;
  };
  return {
    floats,
    batchNorm: (prefix, width, eps) => ({
      gamma: floats(`${prefix}.weight`, width),
      beta: floats(`${prefix}.bias`, width),
      mean: floats(`${prefix}.running_mean`, width),
      variance: floats(`${prefix}.running_var`, width),
      eps,
    }),
    selection: (key, width, count) => {
      const kept: number[] = [];
      floats(key, width).forEach((v, c) => {
        if (v !== 0) kept.push(c);
      });
      if (kept.length !== count) {
        throw new RangeError(`state_dict ${key} keeps ${kept.length} channels, expected ${count}`);
      }
      return kept;
    },
  };
}
