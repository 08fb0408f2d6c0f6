/**
 * Test helpers (documented, for this package's tests and the cross-package tests): the
 * backends a test can run on here (the stock `cpu` backend always, the project's `wasm-simd`
 * kernel backend always and `native` wherever there is a C compiler) and a relative error to
 * compare them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { useBackend } from "./select.ts";
import { buildNativeLibrary } from "./native_build.ts";

/** Names of the kernel backends that started in this process (cached). */
let available: string[] | undefined;

/**
 * The kernel backends that start here: wasm-simd always, native wherever there is a C
 * compiler. A backend that should start and does not throws, so the tests that compare the
 * kernels with the stock ops fail instead of passing with nothing compared.
 */
export async function kernelBackends(): Promise<string[]> {
  if (available) return available;
  const started: string[] = [];
  for (const name of ["native", "wasm-simd"]) {
    try {
      await useBackend(name);
      started.push(name);
    } catch (error) {
      const built = name === "native" ? await buildNativeLibrary() : undefined;
      if (built && "error" in built && built.error.startsWith("no C compiler")) continue;
      throw new Error(
        `the ${name} kernel backend did not start: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
  await tf.setBackend("cpu");
  available = started;
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

/** Sizes and seed of a random conv test case. */
export interface ConvShape {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  readonly cout: number;
  readonly seed: number;
}

/** Random conv shapes, small enough for property tests, with tails of every vector width. */
export const convShapes: fc.Arbitrary<ConvShape> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(1, 2, 3, 4, 6, 8),
  w: fc.constantFrom(1, 2, 4, 5, 8),
  cin: fc.integer({ min: 1, max: 20 }),
  cout: fc.integer({ min: 1, max: 70 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((s) => s.n * s.h * s.w >= 4); // batch norm over fewer values is degenerate (variance ~ 0)

/** Random inputs of a VGG block for `s` as nested arrays (backend independent). */
export function convInputs(s: ConvShape): {
  x: number[][][][];
  w: number[][][][];
  gamma: number[];
  beta: number[];
  r: number[][][][];
} {
  return tf.tidy(() => ({
    x: tf.randomNormal([s.n, s.h, s.w, s.cin], 0, 1, "float32", s.seed)
      .arraySync() as number[][][][],
    w: tf.randomNormal([3, 3, s.cin, s.cout], 0, 0.3, "float32", s.seed + 1)
      .arraySync() as number[][][][],
    gamma: tf.randomNormal([s.cout], 0.5, 0.5, "float32", s.seed + 2).arraySync() as number[],
    beta: tf.randomNormal([s.cout], 0, 0.3, "float32", s.seed + 3).arraySync() as number[],
    r: tf.randomNormal([s.n, s.h, s.w, s.cout], 0, 1, "float32", s.seed + 4)
      .arraySync() as number[][][][],
  }));
}
