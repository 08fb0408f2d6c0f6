/**
 * The 2x2 average-pool kernel and its gradient on even and odd sizes: the forward is the
 * float32 rounding of each window's double-precision mean (bit for bit the JavaScript loop
 * it replaced), the gradient a quarter of dy in each window and zero outside every window.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, onBackend } from "./testing.ts";

type Sizes = { n: number; h: number; w: number; c: number };

function expectedPool(x: Float32Array, { n, h, w, c }: Sizes): Float32Array {
  const ho = h >> 1, wo = w >> 1;
  const y = new Float32Array(n * ho * wo * c);
  const at = (i: number, r: number, s: number, k: number) => x[((i * h + r) * w + s) * c + k];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < ho; r++) {
      for (let s = 0; s < wo; s++) {
        for (let k = 0; k < c; k++) {
          y[((i * ho + r) * wo + s) * c + k] =
            (at(i, 2 * r, 2 * s, k) + at(i, 2 * r, 2 * s + 1, k) +
              at(i, 2 * r + 1, 2 * s, k) + at(i, 2 * r + 1, 2 * s + 1, k)) * 0.25;
        }
      }
    }
  }
  return y;
}

function expectedPoolGrad(dy: Float32Array, { n, h, w, c }: Sizes): Float32Array {
  const ho = h >> 1, wo = w >> 1;
  const dx = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 2 * ho; r++) {
      for (let s = 0; s < 2 * wo; s++) {
        for (let k = 0; k < c; k++) {
          dx[((i * h + r) * w + s) * c + k] = dy[((i * ho + (r >> 1)) * wo + (s >> 1)) * c + k] *
            0.25;
        }
      }
    }
  }
  return dx;
}

Deno.test("avgPool 2x2 and its gradient: exact window means, zero gradient outside windows", async () => {
  const backends = await kernelBackends();
  assert.ok(backends.length > 0);
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 2, max: 9 }),
          w: fc.integer({ min: 2, max: 9 }),
          c: fc.integer({ min: 1, max: 40 }),
        }),
        fc.integer({ min: 1, max: 1e6 }),
        async (sizes, seed) => {
          const { n, h, w, c } = sizes;
          const shape: [number, number, number, number] = [n, h >> 1, w >> 1, c];
          const x = tf.tidy(() =>
            tf.randomNormal([n * h * w * c], 0, 1, "float32", seed).dataSync() as Float32Array
          );
          const r = tf.tidy(() =>
            tf.randomNormal([shape.reduce((p, d) => p * d)], 0, 1, "float32", seed + 1)
              .dataSync() as Float32Array
          );
          const [y, dx] = await onBackend(backend, () =>
            tf.tidy(() => {
              const xt = tf.tensor4d(x, [n, h, w, c]);
              const f = (t: tf.Tensor) =>
                tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, 2, 2, "valid"), tf.tensor4d(r, shape)));
              const pooled = tf.avgPool(xt, 2, 2, "valid");
              return [pooled.dataSync(), tf.grad(f)(xt).dataSync()] as Float32Array[];
            }));
          assert.deepEqual(y, expectedPool(x, sizes), `${backend} ${JSON.stringify(sizes)}`);
          assert.deepEqual(dx, expectedPoolGrad(r, sizes), `${backend} ${JSON.stringify(sizes)}`);
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
