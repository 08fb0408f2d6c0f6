/**
 * The pre-activation BN -> ReLU kernels of the native and wasm-simd backends (training
 * forward with running statistics, its gradient through SlimBnReluGrad with z = x, and the
 * inference affine -> ReLU) against the stock tfjs cpu composition of `bnRelu`; and the fused
 * BN -> ReLU -> 1x1 conv (values, running statistics, all four gradients) against `bnRelu`
 * then conv2d.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { bnRelu, bnReluConv1x1, FUSED, hasFusedKernel } from "@slimming/tensor-utils";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const TOLERANCE = 1e-4;

/**
 * The tolerance of case `s`: float32 rounding of x grows with its offset, and over a batch of
 * a few values a channel's spread can be small, which the normalisation amplifies (seen: 1.03e-4
 * at offset 50 over 8 values). A wrong kernel is off by far more.
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

/** [grads x, gamma, beta; train y, running mean, running var; eval y] for case `s`. */
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
      const bn = { ...running, gamma: gg as tf.Tensor1D, beta: bb as tf.Tensor1D };
      const out = bnRelu(xx as tf.Tensor4D, bn, { training: true, momentum: 0.1 });
      return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
    value.dispose();
    const bn = { ...running, gamma, beta };
    const train = bnRelu(x as tf.Tensor4D, bn, { training: true, momentum: 0.1 });
    const evalY = bnRelu(x as tf.Tensor4D, bn, { training: false }).y;
    return [...grads, train.y, train.runningMean!, train.runningVar!, evalY].map((t) =>
      t.dataSync() as Float32Array
    );
  });
}

const NAMES = ["dx", "dgamma", "dbeta", "y", "runningMean", "runningVar", "eval y"];

Deno.test("bnRelu: fused kernels equal the stock composition (values, statistics, gradients)", async () => {
  for (const backend of await kernelBackends()) {
    await onBackend(backend, () => {
      assert.ok(hasFusedKernel(FUSED.bnRelu), `${backend} registers ${FUSED.bnRelu}`);
      assert.ok(hasFusedKernel(FUSED.affineRelu), `${backend} registers ${FUSED.affineRelu}`);
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

/** [grads x, gamma, beta, weight; train y, running mean, running var] of BN-ReLU-conv1x1. */
function convOutputs(s: Case & { cout: number }): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.add(tf.randomNormal([s.n, s.h, s.w, s.c], 0, 1, "float32", s.seed), s.offset);
    const gamma = tf.randomNormal([s.c], 0.5, 0.5, "float32", s.seed + 1) as tf.Tensor1D;
    const beta = tf.randomNormal([s.c], 0, 0.3, "float32", s.seed + 2) as tf.Tensor1D;
    const weight = tf.randomNormal([1, 1, s.c, s.cout], 0, 0.3, "float32", s.seed + 5);
    const r = tf.randomNormal([s.n, s.h, s.w, s.cout], 0, 1, "float32", s.seed + 3);
    const running = {
      runningMean: tf.randomNormal([s.c], 0, 1, "float32", s.seed + 4) as tf.Tensor1D,
      runningVar: tf.add(tf.abs(gamma), 0.5) as tf.Tensor1D,
    };
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, ww: tf.Tensor) => {
      const bn = { ...running, gamma: gg as tf.Tensor1D, beta: bb as tf.Tensor1D };
      const out = bnReluConv1x1(xx as tf.Tensor4D, bn, ww as tf.Tensor4D, { training: true });
      return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta, weight]);
    value.dispose();
    const bn = { ...running, gamma, beta };
    const train = bnReluConv1x1(x as tf.Tensor4D, bn, weight as tf.Tensor4D, { training: true });
    return [...grads, train.y, train.runningMean!, train.runningVar!].map((t) =>
      t.dataSync() as Float32Array
    );
  });
}

const CONV_NAMES = ["dx", "dgamma", "dbeta", "dweight", "y", "runningMean", "runningVar"];

Deno.test("bnReluConv1x1: the fused kernel equals bnRelu then conv2d (values, statistics, gradients)", async () => {
  for (const backend of await kernelBackends()) {
    await onBackend(backend, () => {
      assert.ok(hasFusedKernel(FUSED.bnReluConv1x1), `${backend} registers ${FUSED.bnReluConv1x1}`);
    });
    const convCases = fc.tuple(cases, fc.integer({ min: 1, max: 40 })).map(([s, cout]) => ({
      ...s,
      cout,
    }));
    await fc.assert(
      fc.asyncProperty(convCases, async (s) => {
        const expected = convOutputs(s);
        const before = tf.memory().numTensors;
        const actual = await onBackend(backend, () => convOutputs(s));
        assert.equal(tf.memory().numTensors, before, "no tensors leak");
        for (const [i, name] of CONV_NAMES.entries()) {
          const err = maxRelativeError(actual[i], expected[i]);
          assert.ok(err < TOLERANCE, `${backend} ${name} ${JSON.stringify(s)}: error ${err}`);
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
