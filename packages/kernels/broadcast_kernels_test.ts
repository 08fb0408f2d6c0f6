/**
 * The broadcasting Sub, Multiply and RealDiv on the native and wasm-simd backends against the
 * stock cpu kernels, bit for bit (values and gradients, random shapes of rank 0 to 4 with
 * random broadcast axes), and the cases left to the stock kernels (int32, rank 5).
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { broadcastShape } from "./broadcast_kernels.ts";
import { disposeBackends } from "./select.ts";
import { kernelBackends, onBackend } from "./testing.ts";

/** A shape of rank 0..4 and, per axis, which operand (if any) has size 1 there. */
const cases = fc.record({
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 4 }),
  ones: fc.array(fc.constantFrom(0, 1, 2), { minLength: 4, maxLength: 4 }),
  dropA: fc.integer({ min: 0, max: 4 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

type Case = { dims: number[]; ones: number[]; dropA: number; seed: number };

function shapesOf(s: Case): [number[], number[]] {
  const a = s.dims.map((d, i) => (s.ones[i] === 1 ? 1 : d));
  const b = s.dims.map((d, i) => (s.ones[i] === 2 ? 1 : d));
  // Leading axes dropped from `a` (NumPy's rank broadcasting).
  return [a.slice(Math.min(s.dropA, a.length)), b];
}

function outputs(s: Case): Float32Array[] {
  return tf.tidy(() => {
    const [sa, sb] = shapesOf(s);
    const a = tf.randomNormal(sa, 0, 1, "float32", s.seed);
    const b = tf.add(tf.abs(tf.randomNormal(sb, 0, 1, "float32", s.seed + 1)), 0.5);
    const f = (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.div(tf.sub(x, y), y), tf.sub(y, x))) as tf.Scalar;
    return [tf.sub(a, b), tf.mul(b, a), tf.div(a, b), ...tf.grads(f)([a, b])].map(
      (t) => t.dataSync() as Float32Array,
    );
  });
}

Deno.test("broadcastShape follows NumPy's rules", () => {
  assert.deepEqual(broadcastShape([64, 10], [64, 1]), [64, 10]);
  assert.deepEqual(broadcastShape([3], [2, 1, 3]), [2, 1, 3]);
  assert.deepEqual(broadcastShape([], [4]), [4]);
  assert.equal(broadcastShape([2, 3], [3, 3]), undefined);
});

Deno.test("broadcasting Sub, Multiply and RealDiv equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const expected = outputs(s);
        const actual = await onBackend(backend, () => outputs(s));
        for (let i = 0; i < expected.length; i++) {
          assert.deepEqual(actual[i], expected[i], `${backend} output ${i} ${JSON.stringify(s)}`);
        }
      }),
      { numRuns: 40 },
    );
  }
});

Deno.test("int32 and rank-5 operands run the stock kernels", async () => {
  const run = () =>
    tf.tidy(() =>
      [
        tf.sub(tf.tensor1d([5, 7], "int32"), tf.tensor1d([2, 9], "int32")),
        tf.mul(tf.ones([1, 2, 1, 2, 2]), tf.fill([2, 1, 2, 1, 1], 3)),
      ].map((t) => [t.dtype, t.shape, Array.from(t.dataSync())])
    );
  const expected = run();
  for (const backend of await kernelBackends()) {
    assert.deepEqual(await onBackend(backend, run), expected, backend);
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
