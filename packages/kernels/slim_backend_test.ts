/**
 * The stock tfjs ops the kernel backends replace (conv2d, max/avg-pool, the head's matmul)
 * against the stock cpu kernels, values through gradients, on random shapes.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { disposeBackends } from "./select.ts";
import { convInputs, convShapes, kernelBackends, maxRelativeError, onBackend } from "./testing.ts";

const TOLERANCE = 1e-4;

Deno.test("conv2d, max/avg-pool, matMul and their gradients equal the stock cpu kernels", async () => {
  const backends = await kernelBackends();
  const run = (data: ReturnType<typeof convInputs>) =>
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
      fc.asyncProperty(convShapes, async (s) => {
        const data = convInputs(s);
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

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
