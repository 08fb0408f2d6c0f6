/**
 * The Conv2D family on the native and wasm-simd backends against the stock cpu kernels:
 * 1x1 convs (stride 1 to 3, 'same' and 'valid', odd sizes and channel counts) through the
 * matrix-product kernels, other convs (1x1 to 5x5, strides 1 to 3, 'same', 'valid' and
 * numeric and explicit asymmetric padding) through the patch kernels, and shapes left to the stock kernels
 * (dilated, unequal strides): values and both gradients.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const TOLERANCE = 1e-4;

/** tfjs's explicit padding: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
type Explicit = [[number, number], [number, number], [number, number], [number, number]];
const ASYMMETRIC: Explicit = [[0, 0], [1, 0], [0, 2], [0, 0]];

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number | [number, number];
  dilation?: number;
  pad: "same" | "valid" | number | Explicit;
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

const patches: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(5, 6, 8, 9),
  w: fc.constantFrom(5, 7, 8),
  cin: fc.integer({ min: 1, max: 24 }),
  cout: fc.integer({ min: 1, max: 40 }),
  k: fc.constantFrom(1, 2, 3, 3, 5),
  stride: fc.constantFrom(1, 2, 2, 3),
  pad: fc.constantFrom<"same" | "valid" | number | Explicit>("same", "valid", 0, 1, 2, ASYMMETRIC),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

/** Shapes the replacement kernels hand to the stock ones. */
const FALLBACKS: Case[] = [
  { n: 2, h: 6, w: 5, cin: 5, cout: 7, k: 3, stride: 1, dilation: 2, pad: "same", seed: 3 },
  { n: 1, h: 6, w: 6, cin: 3, cout: 9, k: 3, stride: [1, 2], pad: "same", seed: 4 },
];

/** [y, dx, dw] of sum(conv2d(x, w) * r) for case `s` on the active backend. */
function outputs(s: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([s.n, s.h, s.w, s.cin], 0, 1, "float32", s.seed) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.3, "float32", s.seed + 1);
    const conv = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s.stride, s.pad, "NHWC", s.dilation ?? 1);
    const y = conv(x, w);
    const r = tf.randomNormal(y.shape, 0, 1, "float32", s.seed + 2);
    // tfjs has no gradient for dilated convs: their forward alone is compared.
    const grads = s.dilation
      ? []
      : tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(conv(xx, ww), r)) as tf.Scalar)([
        x,
        w,
      ]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

async function agree(backend: string, s: Case): Promise<void> {
  const expected = outputs(s);
  const actual = await onBackend(backend, () => outputs(s));
  for (const [i, name] of ["y", "dx", "dw"].slice(0, expected.length).entries()) {
    const err = maxRelativeError(actual[i], expected[i]);
    assert.ok(err < TOLERANCE, `${backend} ${name} ${JSON.stringify(s)}: error ${err}`);
  }
}

Deno.test("conv2d 1x1 (any stride) and its gradients equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(fc.asyncProperty(oneByOne, (s) => agree(backend, s)), { numRuns: 30 });
  }
});

Deno.test("other conv2d shapes (patch kernels) and their gradients equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    await fc.assert(fc.asyncProperty(patches, (s) => agree(backend, s)), { numRuns: 30 });
  }
});

/**
 * 3x3 'same' convs with 8 to 15 channels at even sizes (DenseNet's growth-12 layers: the
 * Winograd path on 4-lane builds, direct on wider ones) and their odd-size neighbours.
 */
const FEW_CHANNELS: Case[] = [
  { n: 3, h: 8, w: 8, cin: 24, cout: 12, k: 3, stride: 1, pad: "same", seed: 5 },
  { n: 2, h: 4, w: 6, cin: 12, cout: 20, k: 3, stride: 1, pad: "same", seed: 6 },
  { n: 2, h: 6, w: 4, cin: 8, cout: 8, k: 3, stride: 1, pad: "same", seed: 7 },
  { n: 1, h: 10, w: 8, cin: 15, cout: 9, k: 3, stride: 1, pad: "same", seed: 8 },
  { n: 2, h: 5, w: 8, cin: 12, cout: 12, k: 3, stride: 1, pad: "same", seed: 9 },
  { n: 2, h: 8, w: 8, cin: 7, cout: 12, k: 3, stride: 1, pad: "same", seed: 10 },
];

Deno.test("3x3 convs with few channels (DenseNet growth 12) and their gradients equal the stock cpu kernels", async () => {
  for (const backend of await kernelBackends()) {
    for (const s of FEW_CHANNELS) await agree(backend, s);
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
