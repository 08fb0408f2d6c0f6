/**
 * The Conv2D family on the native and wasm-simd backends against the stock cpu kernels:
 * 1x1 convs (stride 1 to 3, 'same' and 'valid', odd sizes and channel counts) through the
 * matrix-product kernels, and shapes left to the stock kernels (3x3 stride 2, padded 1x1),
 * values and both gradients.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const TOLERANCE = 1e-4;

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: 1 | 3;
  stride: number;
  pad: "same" | "valid" | number;
  seed: number;
}

const oneByOne: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(1, 2, 3, 5, 8),
  w: fc.constantFrom(1, 2, 4, 7),
  cin: fc.integer({ min: 1, max: 40 }),
  cout: fc.integer({ min: 1, max: 70 }),
  k: fc.constant(1 as const),
  stride: fc.constantFrom(1, 1, 2, 2, 3),
  pad: fc.constantFrom<"same" | "valid">("same", "valid"),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

/** Shapes the replacement kernels hand to the stock ones. */
const FALLBACKS: Case[] = [
  { n: 2, h: 6, w: 5, cin: 5, cout: 7, k: 3, stride: 2, pad: "same", seed: 3 },
  { n: 1, h: 4, w: 4, cin: 3, cout: 9, k: 1, stride: 1, pad: 1, seed: 4 },
  { n: 2, h: 5, w: 3, cin: 6, cout: 4, k: 3, stride: 1, pad: "valid", seed: 5 },
];

/** [y, dx, dw] of sum(conv2d(x, w) * r) for case `s` on the active backend. */
function outputs(s: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([s.n, s.h, s.w, s.cin], 0, 1, "float32", s.seed) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.3, "float32", s.seed + 1);
    const conv = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s.stride, s.pad);
    const y = conv(x, w);
    const r = tf.randomNormal(y.shape, 0, 1, "float32", s.seed + 2);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(conv(xx, ww), r)) as tf.Scalar
    )([x, w]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

async function agree(backend: string, s: Case): Promise<void> {
  const expected = outputs(s);
  const actual = await onBackend(backend, () => outputs(s));
  for (const [i, name] of ["y", "dx", "dw"].entries()) {
    const err = maxRelativeError(actual[i], expected[i]);
    assert.ok(err < TOLERANCE, `${backend} ${name} ${JSON.stringify(s)}: error ${err}`);
  }
}

Deno.test("conv2d 1x1 (any stride) and its gradients equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(fc.asyncProperty(oneByOne, (s) => agree(backend, s)), { numRuns: 30 });
  }
});

Deno.test("conv2d shapes the kernels do not take still run, through the stock kernels", async () => {
  for (const backend of await kernelBackends()) {
    for (const s of FALLBACKS) await agree(backend, s);
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
