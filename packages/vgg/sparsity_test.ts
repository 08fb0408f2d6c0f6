import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import { sparsityGradient, sparsityPenalty } from "@slimming/slimming";
import type { VggParams } from "./mod.ts";
import { arbCfg, randomParams } from "./testing.ts";

await tf.setBackend("cpu");

/** A one-layer stand-in holding only what sparsityPenalty reads. */
function gammaOnly(gamma: tf.Tensor1D): tf.Tensor[] {
  return [gamma];
}

function gammasOf(params: VggParams): tf.Tensor[] {
  return params.features.map((layer) => layer.bn.gamma);
}

Deno.test("sparsityGradient is lambda * sign(gamma) with sign(0) = 0", () => {
  const gamma = tf.tensor1d([-2, -1e-3, 0, -0, 1e-3, 3]);
  const grad = sparsityGradient(gamma, 1e-4);
  assert.deepEqual(Array.from(grad.dataSync()), [-1e-4, -1e-4, 0, 0, 1e-4, 1e-4].map(Math.fround));
  assert.deepEqual(grad.shape, [6]);
  tf.dispose([gamma, grad]);
});

Deno.test("sparsityGradient matches the finite-difference derivative of the penalty", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.float({ min: Math.fround(0.01), max: 3, noNaN: true }),
          fc.float({ min: -3, max: Math.fround(-0.01), noNaN: true }),
        ),
        { minLength: 1, maxLength: 8 },
      ),
      fc.double({ min: 1e-5, max: 1, noNaN: true }),
      fc.nat(),
      (values, lambda, pick) => {
        const i = pick % values.length;
        const h = 1e-3;
        const penaltyAt = (delta: number): number =>
          tf.tidy(() => {
            const shifted = values.map((v, j) => (j === i ? v + delta : v));
            return sparsityPenalty(gammaOnly(tf.tensor1d(shifted)), lambda).dataSync()[0];
          });
        const numeric = (penaltyAt(h) - penaltyAt(-h)) / (2 * h);
        const analytic = tf.tidy(() => sparsityGradient(tf.tensor1d(values), lambda).dataSync()[i]);
        assert.ok(
          Math.abs(numeric - analytic) <= 1e-2 * lambda + 1e-7,
          `numeric ${numeric} vs analytic ${analytic}`,
        );
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("sparsityPenalty is lambda * sum |gamma| over all layers, and tf.grad of it is sparsityGradient away from 0", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      fc.constantFrom("distinct", "ties") as fc.Arbitrary<"distinct" | "ties">,
      (cfg, seed, kind) => {
        const params = randomParams(cfg, seed, kind);
        const before = tf.memory().numTensors;
        const lambda = 1e-4;
        const penalty = sparsityPenalty(gammasOf(params), lambda);
        const expected = lambda *
          params.features.reduce(
            (s, l) => s + Array.from(l.bn.gamma.dataSync()).reduce((a, g) => a + Math.abs(g), 0),
            0,
          );
        assert.deepEqual(penalty.shape, []);
        assert.ok(Math.abs(penalty.dataSync()[0] - expected) <= 1e-6 * Math.max(1, expected));
        penalty.dispose();
        const gamma = params.features[0].bn.gamma;
        const [viaGrad, direct] = tf.tidy(() => {
          const g = tf.grad((x: tf.Tensor) => sparsityPenalty(gammaOnly(x as tf.Tensor1D), lambda))(
            gamma,
          );
          return [g, sparsityGradient(gamma, lambda)];
        });
        // tfjs differentiates |x| at 0 as -1; the reference's sign(0) = 0 is why training must
        // add sparsityGradient rather than autodiff the penalty. Compare away from 0.
        const values = gamma.dataSync();
        const auto = viaGrad.dataSync();
        const exact = direct.dataSync();
        values.forEach((v, c) => {
          if (v !== 0) assert.equal(auto[c], exact[c]);
        });
        tf.dispose([viaGrad, direct]);
        assert.equal(tf.memory().numTensors, before);
        disposeTree(params);
      },
    ),
    { numRuns: 20 },
  );
});

Deno.test("a NaN, negative or infinite lambda is a UsageError", () => {
  const gamma = tf.tensor1d([1, -1]);
  for (const lambda of [NaN, -1e-4, Infinity]) {
    assert.throws(() => sparsityGradient(gamma, lambda), UsageError);
    assert.throws(() => sparsityPenalty(gammaOnly(gamma), lambda), UsageError);
  }
  gamma.dispose();
});
