/**
 * The backends a test can run on here: the stock `cpu` backend always, and the project's
 * `native` and `wasm-simd` kernel backends when they start.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "@slimming/tensor-utils";

/** Names of the kernel backends that started in this process (cached). */
let available: string[] | undefined;

/** The kernel backends that start here (native needs a C compiler; wasm-simd always). */
export async function kernelBackends(): Promise<string[]> {
  if (available) return available;
  available = [];
  for (const name of ["native", "wasm-simd"]) {
    try {
      await useBackend(name);
      available.push(name);
    } catch {
      // not available on this machine
    }
  }
  await tf.setBackend("cpu");
  return available;
}

/** Runs `fn` with `name` as the active backend, then returns to `cpu`. */
export async function onBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(name);
  try {
    return await fn();
  } finally {
    await tf.setBackend("cpu");
  }
}

/** max |a - b| / max |b| (0 for two empty arrays). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
