/**
 * Every fused and replacement kernel of the native and wasm-simd backends against the
 * stock tfjs cpu backend, values and gradients, on random shapes.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { conv3x3BnRelu, disposeBackends, FUSED } from "@slimming/tensor-utils";
import { kernelBackends, maxRelativeError, onBackend } from "./backends_helpers.ts";

const TOLERANCE = 1e-4;
const shapes = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.constantFrom(1, 2, 3, 4, 6, 8),
  w: fc.constantFrom(1, 2, 4, 5, 8),
  cin: fc.integer({ min: 1, max: 20 }),
  cout: fc.integer({ min: 1, max: 70 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((s) => s.n * s.h * s.w >= 4); // batch norm over fewer values is degenerate (variance ~ 0)

type Shape = { n: number; h: number; w: number; cin: number; cout: number; seed: number };

function inputs(s: Shape) {
  return {
    x: tf.randomNormal([s.n, s.h, s.w, s.cin], 0, 1, "float32", s.seed).arraySync(),
    w: tf.randomNormal([3, 3, s.cin, s.cout], 0, 0.3, "float32", s.seed + 1).arraySync(),
    gamma: tf.randomNormal([s.cout], 0.5, 0.5, "float32", s.seed + 2).arraySync(),
    beta: tf.randomNormal([s.cout], 0, 0.3, "float32", s.seed + 3).arraySync(),
    r: tf.randomNormal([s.n, s.h, s.w, s.cout], 0, 1, "float32", s.seed + 4).arraySync(),
  };
}

/** Value and gradients of sum(conv3x3BnRelu(x).y * r) on the active backend. */
function blockGradients(data: ReturnType<typeof inputs>): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x as number[][][][]);
    const w = tf.tensor4d(data.w as number[][][][]);
    const gamma = tf.tensor1d(data.gamma as number[]);
    const beta = tf.tensor1d(data.beta as number[]);
    const r = tf.tensor4d(data.r as number[][][][]);
    const cout = gamma.shape[0];
    const bn = {
      gamma,
      beta,
      runningMean: tf.zeros([cout]) as tf.Tensor1D,
      runningVar: tf.ones([cout]) as tf.Tensor1D,
    };
    const f = (xx: tf.Tensor, ww: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const out = conv3x3BnRelu(xx as tf.Tensor4D, ww as tf.Tensor4D, {
        ...bn,
        gamma: gg as tf.Tensor1D,
        beta: bb as tf.Tensor1D,
      }, {
        training: true,
      });
      return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, w, gamma, beta]);
    const train = conv3x3BnRelu(x, w, bn, { training: true });
    const evalOut = conv3x3BnRelu(x, w, {
      ...bn,
      runningMean: tf.mul(beta, 0.1) as tf.Tensor1D,
      runningVar: tf.add(tf.abs(gamma), 0.5) as tf.Tensor1D,
    }, {
      training: false,
    });
    value.dispose();
    return [...grads, train.y, train.runningMean!, train.runningVar!, evalOut.y].map((t) =>
      t.dataSync() as Float32Array
    );
  });
}

const names = ["dx", "dw", "dgamma", "dbeta", "y", "runningMean", "runningVar", "eval y"];

Deno.test("fused conv-BN-ReLU: values and gradients equal the stock cpu composition", async () => {
  const backends = await kernelBackends();
  assert.ok(backends.includes("wasm-simd"), "the wasm-simd backend must start everywhere");
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const data = inputs(s);
        const expected = blockGradients(data);
        const actual = await onBackend(backend, () => {
          assert.ok(tf.getKernel(FUSED.convBnRelu, backend));
          return blockGradients(data);
        });
        for (const [i, name] of names.entries()) {
          const err = maxRelativeError(actual[i], expected[i]);
          assert.ok(
            err < TOLERANCE,
            `${backend} ${name} ${JSON.stringify(s)}: relative error ${err}`,
          );
        }
      }),
      { numRuns: 25 },
    );
  }
});

Deno.test("fused conv-BN-ReLU on fixed shapes that take the Winograd and the direct paths", async () => {
  const backends = await kernelBackends();
  const fixed: Shape[] = [
    { n: 2, h: 8, w: 8, cin: 32, cout: 40, seed: 11 }, // Winograd, channel tails
    { n: 3, h: 4, w: 4, cin: 16, cout: 16, seed: 12 }, // Winograd, smallest
    { n: 2, h: 16, w: 16, cin: 20, cout: 33, seed: 13 }, // Winograd, several tile blocks
    { n: 4, h: 2, w: 2, cin: 64, cout: 64, seed: 14 }, // direct (2x2)
    { n: 2, h: 6, w: 10, cin: 3, cout: 16, seed: 15 }, // direct (few input channels)
    { n: 1, h: 5, w: 7, cin: 24, cout: 24, seed: 16 }, // direct (odd sizes)
  ];
  for (const backend of backends) {
    for (const s of fixed) {
      const data = inputs(s);
      const expected = blockGradients(data);
      const actual = await onBackend(backend, () => blockGradients(data));
      for (const [i, name] of names.entries()) {
        const err = maxRelativeError(actual[i], expected[i]);
        assert.ok(
          err < TOLERANCE,
          `${backend} ${name} ${JSON.stringify(s)}: relative error ${err}`,
        );
      }
    }
  }
});

Deno.test("conv2d, max/avg-pool, matMul and their gradients equal the stock cpu kernels", async () => {
  const backends = await kernelBackends();
  const run = (data: ReturnType<typeof inputs>) =>
    tf.tidy(() => {
      const x = tf.tensor4d(data.x as number[][][][]);
      const w = tf.tensor4d(data.w as number[][][][]);
      const r = tf.tensor4d(data.r as number[][][][]);
      const f = (xx: tf.Tensor, ww: tf.Tensor) => {
        const y = tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, "same");
        const big = y.shape[1] >= 2 && y.shape[2] >= 2;
        const pooled = big ? tf.add(tf.maxPool(y, 2, 2, "valid"), tf.avgPool(y, 2, 2, "valid")) : y;
        const rr = tf.slice(r, [0, 0, 0, 0], pooled.shape);
        // The linear head's matmul (and its two transposed gradients) on the pooled features.
        const flat = tf.reshape(pooled, [pooled.shape[0], -1]);
        const head = tf.matMul(
          flat,
          tf.randomNormal([flat.shape[1] as number, 3], 0, 1, "float32", 5),
        );
        return tf.add(tf.sum(tf.mul(pooled, rr)), tf.sum(tf.square(head))) as tf.Scalar;
      };
      return tf.grads(f)([x, w]).map((t) => t.dataSync() as Float32Array);
    });
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const data = inputs(s);
        const expected = run(data);
        const actual = await onBackend(backend, () => run(data));
        for (const [i, name] of ["dx", "dw"].entries()) {
          const err = maxRelativeError(actual[i], expected[i]);
          assert.ok(
            err < TOLERANCE,
            `${backend} ${name} ${JSON.stringify(s)}: relative error ${err}`,
          );
        }
      }),
      { numRuns: 20 },
    );
  }
});

Deno.test("the fused SGD kernel equals PyTorch's rule written with tfjs ops", async () => {
  const backends = await kernelBackends();
  for (const backend of backends) {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1e-2, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        async (n, first, l1, seed) => {
          const p = Array.from(tf.randomNormal([n], 0, 1, "float32", seed).dataSync());
          p[0] = 0; // sign(0) = 0
          const g = Array.from(tf.randomNormal([n], 0, 1, "float32", seed + 1).dataSync());
          const b = Array.from(tf.randomNormal([n], 0, 1, "float32", seed + 2).dataSync());
          const hyper = { count: 1, lr: 0.1, momentum: 0.9, weightDecay: 1e-4, l1: [l1], first };
          const expected = p.map((pi, i) => {
            const d = g[i] + l1 * Math.sign(pi) + 1e-4 * pi;
            const buf = first ? d : 0.9 * b[i] + d;
            return [pi - 0.1 * buf, buf];
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
