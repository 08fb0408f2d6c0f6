/**
 * The native backend's BN-without-ReLU kernels (training forward with running statistics and
 * its gradient through SlimBnGrad) and the residual add -> ReLU (with its gradient through
 * SlimReluGrad) against the stock tfjs cpu compositions of `bn` and `addRelu`. The wasm-simd
 * backend registers neither (its ops are the stock compositions), which is checked too.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { addRelu, bn, FUSED, hasFusedKernel } from "@slimming/tensor-utils";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const TOLERANCE = 1e-4;

/**
 * The tolerance of case `s`: float32 rounding of x grows with its offset, and over a batch of
 * a few values a channel's spread can be small, which the normalisation amplifies (as in
 * `preact_kernels_test.ts`). A wrong kernel is off by far more.
 */
function toleranceOf(s: Case): number {
  return TOLERANCE * (1 + s.offset / 10);
}

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  offset: number;
  seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(1, 2, 3, 5, 8),
  w: fc.constantFrom(1, 2, 4, 7),
  c: fc.integer({ min: 1, max: 70 }),
  // A mean far from zero against the spread (residual sums): the statistics must stay exact.
  offset: fc.constantFrom(0, 3, 50),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((s) => s.n * s.h * s.w >= 4);

/**
 * [grads x, gamma, beta; train y, running mean, running var; eval y] of `bn` and
 * [grads a, b; y] of `addRelu` for case `s` (`addRelu(x, x)` too: one tensor as both inputs).
 */
function outputs(s: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.add(tf.randomNormal([s.n, s.h, s.w, s.c], 0, 1, "float32", s.seed), s.offset);
    const gamma = tf.randomNormal([s.c], 0.5, 0.5, "float32", s.seed + 1) as tf.Tensor1D;
    const beta = tf.randomNormal([s.c], 0, 0.3, "float32", s.seed + 2) as tf.Tensor1D;
    const r = tf.randomNormal(x.shape, 0, 1, "float32", s.seed + 3);
    const running = {
      runningMean: tf.randomNormal([s.c], 0, 1, "float32", s.seed + 4) as tf.Tensor1D,
      runningVar: tf.add(tf.abs(gamma), 0.5) as tf.Tensor1D,
    };
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const state = { ...running, gamma: gg as tf.Tensor1D, beta: bb as tf.Tensor1D };
      const out = bn(xx as tf.Tensor4D, state, { training: true, momentum: 0.1 });
      return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
    value.dispose();
    const state = { ...running, gamma, beta };
    const train = bn(x as tf.Tensor4D, state, { training: true, momentum: 0.1 });
    const evalY = bn(x as tf.Tensor4D, state, { training: false }).y;
    // Residual add -> ReLU: a centred so about half the sums are negative.
    const a = tf.sub(x, s.offset);
    const b = tf.randomNormal(x.shape, 0, 1, "float32", s.seed + 5);
    const g = (aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(addRelu(aa, bb), r)) as tf.Scalar;
    const added = tf.valueAndGrads(g)([a, b]);
    added.value.dispose();
    const twice = tf.grad((aa: tf.Tensor) => tf.sum(tf.mul(addRelu(aa, aa), r)) as tf.Scalar)(a);
    return [
      ...grads,
      train.y,
      train.runningMean!,
      train.runningVar!,
      evalY,
      ...added.grads,
      addRelu(a, b),
      twice,
    ].map((t) => t.dataSync() as Float32Array);
  });
}

const NAMES = [
  "dx",
  "dgamma",
  "dbeta",
  "y",
  "runningMean",
  "runningVar",
  "eval y",
  "addRelu da",
  "addRelu db",
  "addRelu y",
  "addRelu(a, a) da",
];

Deno.test("bn, addRelu: fused kernels equal the stock composition (values, statistics, gradients)", async () => {
  for (const backend of await kernelBackends()) {
    const fused = backend === "native";
    await onBackend(backend, () => {
      for (const name of [FUSED.bn, FUSED.bnGrad, FUSED.addRelu, FUSED.reluGrad]) {
        assert.equal(hasFusedKernel(name), fused, `${backend} registers ${name}: ${fused}`);
      }
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const expected = outputs(s);
        const before = tf.memory().numTensors;
        const actual = await onBackend(backend, () => outputs(s));
        assert.equal(tf.memory().numTensors, before, "no tensors leak");
        for (const [i, name] of NAMES.entries()) {
          const err = maxRelativeError(actual[i], expected[i]);
          assert.ok(err < toleranceOf(s), `${backend} ${name} ${JSON.stringify(s)}: error ${err}`);
        }
      }),
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
