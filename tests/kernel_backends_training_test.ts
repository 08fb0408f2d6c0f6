/**
 * A training step of the pre-activation ResNet and of the DenseNet on each kernel backend (the
 * fused BN -> ReLU -> 1x1 conv where every channel is selected, BN -> select -> ReLU then conv
 * where not) equals the stock cpu backend's: the loss and every updated parameter and running
 * statistic.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeBackends } from "@slimming/kernels";
import { kernelBackends, maxRelativeError, onBackend } from "@slimming/kernels/testing";
import { disposeState, type TrainState, trainStep } from "@slimming/train";
import { initResnet } from "@slimming/resnet";
import { initDensenet } from "@slimming/densenet";
import { flattenTree, type Tree } from "@slimming/tensor-utils";

const TOLERANCE = 1e-4;
/** Depth 11 at width 1/4 with a narrower selection in the second block. */
const CFG = [3, 5, 6, 10, 7, 8, 20, 9, 2, 17];

const MODELS = {
  "ResNet-11": () => initResnet({ depth: 11, width: 0.25, cfg: CFG, seed: 7 }),
  "DenseNet-16": () => initDensenet({ depth: 16, growthRate: 4, seed: 7, numClasses: 10 }),
};

/** The loss and the parameters after one SGD step of `init`'s model, by name. */
async function oneStep(init: () => TrainState["params"]): Promise<Map<string, Float32Array>> {
  const params = init();
  const state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([4, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const y = tf.tensor1d([1, 4, 7, 2], "int32");
  const r = trainStep(state, x, y, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 });
  const out = new Map<string, Float32Array>([["loss", await r.loss.data() as Float32Array]]);
  for (const [key, t] of flattenTree(r.state.params as unknown as Tree)) {
    if (t.dtype === "float32") out.set(key, await t.data() as Float32Array);
  }
  tf.dispose([r.loss, r.correct, x, y]);
  disposeState(r.state);
  disposeState(state);
  return out;
}

Deno.test("ResNet and DenseNet training steps on each kernel backend equal the cpu backend's", async () => {
  const backends = await kernelBackends();
  for (const [name, init] of Object.entries(MODELS)) {
    const expected = await oneStep(init);
    for (const backend of backends) {
      const actual = await onBackend(backend, () => oneStep(init));
      assert.deepEqual([...actual.keys()], [...expected.keys()]);
      for (const [key, values] of expected) {
        const err = maxRelativeError(actual.get(key)!, values);
        assert.ok(err < TOLERANCE, `${name} on ${backend}, ${key}: relative error ${err}`);
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
