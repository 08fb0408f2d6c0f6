/**
 * The wasm-simd backend keeps its tensors in the module's memory: its kernels' outputs are
 * views of that memory, their inputs are used where they lie (an outside array is moved in
 * once, at its first use), and reads hand out ordinary copies.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { PooledCpuBackend } from "./pooled_cpu_backend.ts";
import { disposeBackends, useBackend, wasmCopyCounts } from "./select.ts";

/** The array behind `t` on the active backend. */
function arrayOf(t: tf.Tensor): ArrayBufferView {
  const backend = tf.backend() as PooledCpuBackend;
  return backend.data.get(t.dataId)!.values as ArrayBufferView;
}

Deno.test("wasm-simd kernels copy nothing once their inputs lie in the module's memory", async () => {
  await useBackend("wasm-simd");
  const backend = tf.backend();
  assert.ok(backend instanceof PooledCpuBackend && backend.arena);
  const arena = backend.arena;
  const counts = wasmCopyCounts()!;
  // Made by stock kernels: ordinary arrays until a kernel of ours first reads them.
  const x = tf.randomNormal([4, 8, 8, 6], 0, 1, "float32", 1) as tf.Tensor4D;
  const w3 = tf.randomNormal([3, 3, 6, 8], 0, 0.3, "float32", 2) as tf.Tensor4D;
  const w1 = tf.randomNormal([1, 1, 8, 8], 0, 0.3, "float32", 3) as tf.Tensor4D;
  const r = tf.randomNormal([4, 4, 4, 8], 0, 1, "float32", 4);
  assert.ok(!arena.contains(arrayOf(x)));
  // conv3x3, conv1x1, add, max-pool and a broadcast multiply, with the gradients of each.
  const step = () =>
    tf.tidy(() => {
      const f = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
        const y = tf.conv2d(xx as tf.Tensor4D, a as tf.Tensor4D, 1, "same");
        const z = tf.add(y, tf.conv2d(y, b as tf.Tensor4D, 1, "same"));
        return tf.sum(tf.mul(tf.maxPool(z as tf.Tensor4D, 2, 2, "valid"), r)) as tf.Scalar;
      };
      const grads = tf.grads(f)([x, w3, w1]);
      for (const g of grads) assert.ok(arena.contains(arrayOf(g)), "a gradient is not a view");
      return grads.map((g) => g.dataSync());
    });
  const before = counts.copiedIn;
  const first = step();
  // r is only read by the multiply, computed in JavaScript: it stays where it is.
  const inputBytes = (x.size + w3.size + w1.size) * 4;
  assert.ok(counts.copiedIn - before >= inputBytes, "the outside inputs were moved in");
  assert.ok(arena.contains(arrayOf(x)), "x was moved into the module's memory");
  const again = counts.copiedIn;
  const second = step();
  // What is left: none of the activations or gradients (each ~2 KiB and up), only the stock
  // Sum's scalar and its broadcast seed's few floats at most.
  assert.ok(counts.copiedIn - again <= 64, `copied ${counts.copiedIn - again} bytes`);
  assert.equal(counts.copiedOut, 0);
  for (const [i, g] of second.entries()) {
    assert.ok(g.buffer instanceof ArrayBuffer, "reads are ordinary arrays");
    assert.deepEqual(g, first[i]);
  }
  tf.dispose([x, w3, w1, r]);
  await tf.setBackend("cpu");
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
