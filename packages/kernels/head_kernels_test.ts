/**
 * The head's matmul kernel, for every transpose: each element is the float32 rounding of
 * its double-precision sum in order (bit for bit the JavaScript loop it replaced).
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, onBackend } from "./testing.ts";

/** op(a) . op(b) summed in double, rounded once per element. */
function expectedProduct(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += a[transposeA ? p * m + i : i * k + p] * b[transposeB ? j * k + p : p * n + j];
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

Deno.test("matMul with either operand transposed is the double sum of each element, rounded once", async () => {
  const backends = await kernelBackends();
  assert.ok(backends.length > 0);
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 80 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        async (m, k, n, transposeA, transposeB, seed) => {
          const a = tf.tidy(() =>
            tf.randomNormal([m * k], 0, 1, "float32", seed).dataSync() as Float32Array
          );
          const b = tf.tidy(() =>
            tf.randomNormal([k * n], 0, 1, "float32", seed + 1).dataSync() as Float32Array
          );
          const actual = await onBackend(backend, () =>
            tf.tidy(() => {
              const at = tf.tensor2d(a, transposeA ? [k, m] : [m, k]);
              const bt = tf.tensor2d(b, transposeB ? [n, k] : [k, n]);
              const c = tf.matMul(at, bt, transposeA, transposeB);
              assert.deepEqual(c.shape, [m, n]);
              return c.dataSync() as Float32Array;
            }));
          const expected = expectedProduct(a, b, m, k, n, transposeA, transposeB);
          assert.deepEqual(
            actual,
            expected,
            `${backend} ${m}x${k}x${n} ${transposeA} ${transposeB}`,
          );
        },
      ),
      { numRuns: 25 },
    );
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
