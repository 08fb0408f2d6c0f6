/**
 * frugalValueAndGrads against tf.valueAndGrads: the same values and gradients (the same
 * gradient functions run, so bit for bit), a lower peak of tensor memory, no tensor left
 * behind, and gradient functions that hand back their `dy` or take one input twice.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { frugalValueAndGrads } from "./backprop.ts";

/** A small DenseNet-like function: conv, BN-like normalisation, ReLU, concatenation, reuse. */
function denseLike(x: tf.Tensor4D) {
  return (w1: tf.Tensor, w2: tf.Tensor, gamma: tf.Tensor, head: tf.Tensor): tf.Scalar => {
    const a = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same"));
    const joined = tf.concat([x, a], 3);
    const { mean, variance } = tf.moments(joined, [0, 1, 2]);
    const normed = tf.mul(
      tf.div(tf.sub(joined, mean), tf.sqrt(tf.add(variance, 1e-5))),
      gamma,
    ) as tf.Tensor4D;
    const b = tf.relu(tf.conv2d(normed, w2 as tf.Tensor4D, 1, "same"));
    const pooled = tf.mean(tf.add(b, tf.slice(a, [0, 0, 0, 0], [-1, -1, -1, 2])), [1, 2]);
    return tf.sum(tf.square(tf.matMul(pooled, head as tf.Tensor2D)));
  };
}

function denseLikeInputs(seed: number) {
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", seed) as tf.Tensor4D;
  const params = [
    tf.randomNormal([3, 3, 3, 4], 0, 0.5, "float32", seed + 1),
    tf.randomNormal([3, 3, 7, 2], 0, 0.5, "float32", seed + 2),
    tf.randomUniform([7], 0.5, 1.5, "float32", seed + 3),
    tf.randomNormal([2, 3], 0, 1, "float32", seed + 4),
  ];
  return { x, params };
}

Deno.test("the value and gradients are tf.valueAndGrads' exactly", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), (seed) => {
      const { x, params } = denseLikeInputs(seed);
      const f = denseLike(x);
      const stock = tf.valueAndGrads(f)(params);
      const frugal = frugalValueAndGrads(f, params);
      assert.deepEqual(frugal.value.arraySync(), stock.value.arraySync());
      assert.equal(frugal.grads.length, params.length);
      frugal.grads.forEach((g, i) => {
        assert.deepEqual(g.shape, params[i].shape);
        assert.deepEqual([...g.dataSync()], [...stock.grads[i].dataSync()]);
      });
      tf.dispose([x, params, stock.value, stock.grads, frugal.value, frugal.grads]);
    }),
    { numRuns: 5 },
  );
});

Deno.test("nothing is left behind but the value and the gradients", () => {
  const { x, params } = denseLikeInputs(1);
  const before = tf.memory().numTensors;
  const { value, grads } = frugalValueAndGrads(denseLike(x), params);
  assert.equal(tf.memory().numTensors, before + 1 + grads.length);
  tf.dispose([value, grads]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, params]);
});

Deno.test("a deep chain peaks lower: activations and gradients go as backprop passes them", async () => {
  const layers = 24;
  const x = tf.randomNormal([64, 256], 0, 1, "float32", 1) as tf.Tensor2D;
  const weights = Array.from(
    { length: layers },
    (_, i) => tf.randomNormal([256, 256], 0, 0.06, "float32", i + 2),
  );
  const f = (...ws: tf.Tensor[]) =>
    tf.sum(ws.reduce((h, w) => tf.relu(tf.matMul(h, w as tf.Tensor2D)), x as tf.Tensor));
  // tf.profile hands back the engine's one profile object: read each peak at once.
  const stock = (await tf.profile(() => {
    const { value, grads } = tf.valueAndGrads(f)(weights);
    tf.dispose([value, grads]);
  })).peakBytes;
  const frugal = (await tf.profile(() => {
    const { value, grads } = frugalValueAndGrads(f, weights);
    tf.dispose([value, grads]);
  })).peakBytes;
  // Each layer keeps a 64x256 activation; the stock pass holds all of them and all their
  // gradients at its end, the frugal one only the weights' gradients and a few activations.
  const activation = 64 * 256 * 4, weight = 256 * 256 * 4;
  assert.ok(stock >= layers * (2 * activation + weight), `${stock}`);
  assert.ok(frugal < stock - (layers - 4) * 2 * activation, `${frugal} vs ${stock}`);
  tf.dispose([x, weights]);
});

Deno.test("a gradient function that returns its dy, or an input used twice, stays correct", () => {
  const passThrough = tf.customGrad((...inputs) => ({
    value: tf.add(inputs[0] as tf.Tensor, inputs[1] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [dy, dy],
  }));
  const w = tf.tensor1d([1, -2, 3]);
  const v = tf.tensor1d([0.5, 0.25, -1]);
  const f = (p: tf.Tensor, q: tf.Tensor) =>
    tf.sum(tf.mul(passThrough(tf.mul(p, p), tf.mul(p, q)) as tf.Tensor, q));
  const stock = tf.valueAndGrads(f)([w, v]);
  const frugal = frugalValueAndGrads(f, [w, v]);
  assert.equal(frugal.value.arraySync(), stock.value.arraySync());
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(frugal.grads[i].arraySync(), stock.grads[i].arraySync());
  }
  tf.dispose([w, v, stock.value, stock.grads, frugal.value, frugal.grads]);
});

Deno.test("inside another gradient (higher order) it keeps the tape, as tf.valueAndGrads", () => {
  const x = tf.scalar(3);
  // d/dx of (d/dx x^3) = 6x = 18.
  const second = tf.grad((s: tf.Tensor) => frugalValueAndGrads((t) => tf.pow(t, 3), [s]).grads[0])(
    x,
  );
  assert.equal(second.arraySync(), 18);
  tf.dispose([x, second]);
});

Deno.test("a value that is not a scalar, or misses an input, is an error that leaks nothing", () => {
  const w = tf.tensor1d([1, 2]);
  const other = tf.scalar(1);
  const before = tf.memory().numTensors;
  assert.throws(() => frugalValueAndGrads(() => tf.mul(w, 2), [w]), /scalar/);
  assert.throws(() => frugalValueAndGrads(() => tf.mul(other, 2), [w]), /input 0/);
  assert.throws(() => frugalValueAndGrads(() => tf.sum(tf.mul(w, 2)), [w, other]), /input 1/);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(
    (tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape,
    null,
  );
  tf.dispose([w, other]);
});
