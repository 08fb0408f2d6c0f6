/**
 * The fused conv -> BN -> ReLU kernels of the native and wasm-simd backends against the
 * stock tfjs cpu composition: values, running statistics and gradients, on random shapes
 * and on fixed shapes that take the Winograd and the direct paths.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { conv3x3BnRelu, FUSED } from "@slimming/tensor-utils";
import { disposeBackends } from "./select.ts";
import {
  convInputs,
  type ConvShape,
  convShapes,
  kernelBackends,
  maxRelativeError,
  onBackend,
} from "./testing.ts";

const TOLERANCE = 1e-4;

/** Value and gradients of sum(conv3x3BnRelu(x).y * r) on the active backend. */
function blockGradients(data: ReturnType<typeof convInputs>): Float32Array[] {
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
      fc.asyncProperty(convShapes, async (s) => {
        const data = convInputs(s);
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
  const fixed: ConvShape[] = [
    { n: 2, h: 8, w: 8, cin: 32, cout: 40, seed: 11 }, // Winograd, channel tails
    { n: 3, h: 4, w: 4, cin: 16, cout: 16, seed: 12 }, // Winograd, smallest
    { n: 2, h: 16, w: 16, cin: 20, cout: 33, seed: 13 }, // Winograd, several tile blocks
    { n: 4, h: 2, w: 2, cin: 64, cout: 64, seed: 14 }, // direct (2x2)
    { n: 2, h: 6, w: 10, cin: 3, cout: 16, seed: 15 }, // direct (few input channels)
    { n: 1, h: 5, w: 7, cin: 24, cout: 24, seed: 16 }, // direct (odd sizes)
  ];
  for (const backend of backends) {
    for (const s of fixed) {
      const data = convInputs(s);
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

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
