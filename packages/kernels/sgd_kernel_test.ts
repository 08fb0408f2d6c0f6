/** The fused SGD kernel of the native and wasm-simd backends against PyTorch's rule. */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { FUSED } from "@slimming/tensor-utils";
import { disposeBackends } from "./select.ts";
import { kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

Deno.test("the fused SGD kernel equals PyTorch's rule (plain and Nesterov momentum)", async () => {
  const backends = await kernelBackends();
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1e-2, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.boolean(),
        async (n, first, l1, seed, nesterov) => {
          const p = Array.from(tf.randomNormal([n], 0, 1, "float32", seed).dataSync());
          p[0] = 0; // sign(0) = 0
          const g = Array.from(tf.randomNormal([n], 0, 1, "float32", seed + 1).dataSync());
          const b = Array.from(tf.randomNormal([n], 0, 1, "float32", seed + 2).dataSync());
          const hyper = {
            count: 1,
            lr: 0.1,
            momentum: 0.9,
            weightDecay: 1e-4,
            l1: [l1],
            first,
            nesterov,
          };
          const expected = p.map((pi, i) => {
            const d = g[i] + l1 * Math.sign(pi) + 1e-4 * pi;
            const buf = first ? d : 0.9 * b[i] + d;
            return [pi - 0.1 * (nesterov ? d + 0.9 * buf : buf), buf];
          });
          const actual = await onBackend(backend, () =>
            tf.tidy(() => {
              const outs = tf.engine().runKernel(FUSED.sgd, {
                param0: tf.tensor1d(p),
                grad0: tf.tensor1d(g),
                buffer0: tf.tensor1d(b),
              }, hyper) as tf.Tensor[];
              return outs.map((t) => t.dataSync() as Float32Array);
            }));
          assert.ok(maxRelativeError(actual[0], expected.map((e) => e[0])) < 1e-6);
          assert.ok(maxRelativeError(actual[1], expected.map((e) => e[1])) < 1e-6);
        },
      ),
      { numRuns: 20 },
    );
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
