/**
 * Same-shape Add and global average pooling on the native and wasm-simd backends against the
 * stock cpu kernels (values and gradients; random shapes), and the broadcasting Add left to
 * the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const cases = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

function outputs(s: { n: number; h: number; w: number; c: number; seed: number }) {
  return tf.tidy(() => {
    const x = tf.randomNormal([s.n, s.h, s.w, s.c], 0, 1, "float32", s.seed) as tf.Tensor4D;
    const y = tf.randomNormal(x.shape, 0, 1, "float32", s.seed + 1) as tf.Tensor4D;
    const r = tf.randomNormal([s.n, 1, 1, s.c], 0, 1, "float32", s.seed + 2);
    const bias = tf.randomNormal([s.c], 0, 1, "float32", s.seed + 3);
    // x is used twice, so its gradient is accumulated by an Add of two same-shape tensors.
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const sum = tf.add(tf.add(a, b), tf.relu(a)) as tf.Tensor4D;
      return tf.sum(tf.mul(tf.avgPool(sum, [s.h, s.w], 1, "valid"), r)) as tf.Scalar;
    };
    return [
      tf.add(x, y),
      tf.add(x, bias),
      tf.avgPool(x, [s.h, s.w], 2, "valid"),
      ...tf.grads(f)([x, y]),
    ].map((t) => t.dataSync() as Float32Array);
  });
}

Deno.test("same-shape add and global average pooling equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const expected = outputs(s);
        const actual = await onBackend(backend, () => outputs(s));
        for (let i = 0; i < expected.length; i++) {
          const err = maxRelativeError(actual[i], expected[i]);
          assert.ok(err < 1e-5, `${backend} output ${i} ${JSON.stringify(s)}: error ${err}`);
        }
      }),
      { numRuns: 25 },
    );
  }
});

Deno.test("a large same-shape add (split over threads, odd tail) equals the stock kernel", async () => {
  // 2 * 65536 + 4099 floats: above the native kernel's single-thread limit, with a tail that
  // is neither a whole chunk nor a whole vector.
  const shape = [2, 4099, 1, 33];
  const sums = () =>
    tf.tidy(() => {
      const a = tf.randomNormal(shape, 0, 1, "float32", 11);
      const b = tf.randomNormal(shape, 0, 1, "float32", 12);
      return tf.add(a, b).dataSync() as Float32Array;
    });
  const expected = sums();
  for (const backend of await kernelBackends()) {
    const actual = await onBackend(backend, sums);
    assert.equal(maxRelativeError(actual, expected), 0, backend);
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
