/**
 * Training steps on wasm-simd copy (almost) nothing into or out of the kernels' memory: the
 * activations, gradients, parameters and momentum buffers all live there, so after the first
 * steps only the loss's few stock-kernel floats are copied. Covers the pre-activation ResNet
 * (BN + ReLU, channel selection, 1x1 and 3x3 convolutions, residual additions), the DenseNet
 * (concatenations) and VGG (fused conv + BN + ReLU), with SGD.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeBackends, PooledCpuBackend, useBackend, wasmCopyCounts } from "@slimming/kernels";
import { disposeState, type TrainState, trainStep } from "@slimming/train";
import { initResnet } from "@slimming/resnet";
import { initDensenet } from "@slimming/densenet";
import { initVgg } from "@slimming/vgg";
import { disposeTree, flattenTree, type Tree } from "@slimming/tensor-utils";

const BATCH = 8;
/** Each activation is kilobytes at least; the loss's stock kernels leave a few floats. */
const MOST_BYTES_PER_STEP = 256;

const models = {
  "ResNet-20": () => initResnet({ depth: 20, width: 0.25, seed: 1, cfg: undefined }),
  "DenseNet-16": () => initDensenet({ depth: 16, growthRate: 4, seed: 1, numClasses: 10 }),
  "VGG-11": () => initVgg({ depth: 11, width: 0.125, seed: 1 }),
};

Deno.test("wasm-simd training steps keep their tensors in the module's memory", async () => {
  await useBackend("wasm-simd");
  const backend = tf.backend();
  assert.ok(backend instanceof PooledCpuBackend && backend.arena);
  const arena = backend.arena;
  const counts = wasmCopyCounts()!;
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const y = tf.randomUniform([BATCH], 0, 10, "int32", 4) as tf.Tensor1D;
  for (const [name, init] of Object.entries(models)) {
    const params = init();
    let state: TrainState = { params, buffers: null };
    const step = async () => {
      const r = trainStep(state, x, y, {
        lr: 0.01,
        momentum: 0.9,
        weightDecay: 1e-4,
        lambda: 1e-4,
      });
      if (state.params !== params) disposeState(state);
      state = r.state;
      await r.loss.data();
      tf.dispose([r.loss, r.correct]);
    };
    await step();
    await step();
    const copied = counts.copiedIn + counts.copiedOut;
    await step();
    const bytes = counts.copiedIn + counts.copiedOut - copied;
    assert.ok(bytes <= MOST_BYTES_PER_STEP, `${name}: a step copied ${bytes} bytes`);
    for (const [key, t] of flattenTree(state.params as unknown as Tree)) {
      if (t.dtype !== "float32") continue;
      const values = backend.data.get(t.dataId)!.values as Float32Array;
      assert.ok(arena.contains(values), `${name}: ${key} is not in the module's memory`);
    }
    disposeState(state);
    disposeTree(params as unknown as Tree);
  }
  tf.dispose([x, y]);
  await tf.setBackend("cpu");
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
