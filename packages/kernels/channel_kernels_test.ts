/**
 * Channel gather and concatenation along the last axis on the native and wasm-simd backends
 * against the stock cpu kernels: values and gradients (the gather's through its replacement
 * gradient kernel, the concatenation's through SplitV), random shapes, odd channel counts,
 * repeated indices; and cases left to the stock kernels.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const shapes = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(1, 3, 4),
  w: fc.constantFrom(1, 2, 5),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

const gatherCases = fc.record({
  s: shapes,
  c: fc.integer({ min: 1, max: 40 }),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
});

function gatherOutputs(
  g: { s: { n: number; h: number; w: number; seed: number }; c: number; picks: number[] },
) {
  return tf.tidy(() => {
    const x = tf.randomNormal([g.s.n, g.s.h, g.s.w, g.c], 0, 1, "float32", g.s.seed);
    const idx = tf.tensor1d(g.picks.map((p) => p % g.c), "int32");
    const r = tf.randomNormal([g.s.n, g.s.h, g.s.w, g.picks.length], 0, 1, "float32", g.s.seed + 1);
    const f = (xx: tf.Tensor) => tf.sum(tf.mul(tf.gather(xx, idx, 3), r)) as tf.Scalar;
    // The second gather reads the last axis as -1 and runs on a 2-D tensor.
    const flat = tf.gather(tf.reshape(x, [-1, g.c]), idx, -1);
    return [tf.gather(x, idx, 3), tf.grad(f)(x), flat].map((t) => t.dataSync() as Float32Array);
  });
}

const concatCases = fc.record({
  s: shapes,
  widths: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 2, maxLength: 4 }),
});

function concatOutputs(
  c: { s: { n: number; h: number; w: number; seed: number }; widths: number[] },
) {
  return tf.tidy(() => {
    const parts = c.widths.map((k, i) =>
      tf.randomNormal([c.s.n, c.s.h, c.s.w, k], 0, 1, "float32", c.s.seed + i)
    );
    const total = c.widths.reduce((p, k) => p + k, 0);
    const r = tf.randomNormal([c.s.n, c.s.h, c.s.w, total], 0, 1, "float32", c.s.seed + 99);
    const f = (...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(xs, 3), r)) as tf.Scalar;
    const split = tf.split(r, c.widths, -1);
    return [tf.concat(parts, 3), ...tf.grads(f)(parts), ...split].map((t) =>
      t.dataSync() as Float32Array
    );
  });
}

/**
 * Gathered values are copies (exact); a gradient sums every pick of a channel, in another order
 * than the stock kernel's when a channel is picked several times (seen: 2.2e-6 for one channel
 * picked 7 times). A wrong kernel is off by far more.
 */
const TOLERANCE = 1e-5;

function same(backend: string, what: string, actual: Float32Array[], expected: Float32Array[]) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = maxRelativeError(actual[i], expected[i]);
    assert.ok(err < TOLERANCE, `${backend} ${what} output ${i}: error ${err}`);
  }
}

Deno.test("gather along the last axis and its gradient equal the stock kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(
      fc.asyncProperty(gatherCases, async (g) => {
        const before = tf.memory().numTensors;
        same(
          backend,
          `gather ${JSON.stringify(g)}`,
          await onBackend(backend, () => gatherOutputs(g)),
          gatherOutputs(g),
        );
        assert.equal(tf.memory().numTensors, before);
      }),
      { numRuns: 25 },
    );
  }
});

Deno.test("concat along the last axis, its gradient and split equal the stock kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(
      fc.asyncProperty(concatCases, async (c) => {
        same(
          backend,
          `concat ${JSON.stringify(c)}`,
          await onBackend(backend, () => concatOutputs(c)),
          concatOutputs(c),
        );
      }),
      { numRuns: 25 },
    );
  }
});

Deno.test("gathers and concats on other axes, and bad indices, behave as stock", async () => {
  const other = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([3, 4, 5], 0, 1, "float32", 1);
      const idx = tf.tensor1d([2, 0, 2], "int32");
      const f = (xx: tf.Tensor) => tf.sum(tf.square(tf.gather(xx, idx, 1))) as tf.Scalar;
      return [tf.gather(x, idx, 1), tf.grad(f)(x), tf.concat([x, x], 1)].map((t) =>
        t.dataSync() as Float32Array
      );
    });
  for (const backend of await kernelBackends()) {
    same(backend, "other axes", await onBackend(backend, other), other());
    await onBackend(backend, () => {
      const x = tf.zeros([2, 3]);
      const bad = tf.tensor1d([3], "int32");
      assert.throws(() => tf.gather(x, bad, 1), /not in \[0, 2\]/);
      tf.dispose([x, bad]);
    });
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
