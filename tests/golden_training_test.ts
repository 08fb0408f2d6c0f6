/**
 * The PyTorch golden vectors: eval and train forward, BN running statistics, and two
 * sparsity SGD steps, reproduced on the stock cpu backend and on every kernel backend.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { disposeBackends, probeWebgpu, useBackend } from "@slimming/kernels";
import { kernelBackends, onBackend } from "@slimming/kernels/testing";
import { disposeTree } from "@slimming/tensor-utils";
import { forward, fromStateDict, toStateDict } from "@slimming/vgg";
import { disposeState, type TrainState, trainStep } from "@slimming/train";
import {
  goldenInput,
  haveGolden,
  loadGolden,
  relativeError,
  stateDictAt,
} from "./golden_helpers.ts";

const TOLERANCE = 2e-5;
/** GPU kernels sum in other orders (and llvmpipe flushes denormals): 1e-4 relative. */
const GPU_TOLERANCE = 1e-4;

async function checkBackend(backend: string, tolerance = TOLERANCE, stepTolerance = 1e-5) {
  const golden = loadGolden();
  const cfg = golden.json.cfg;
  await onBackend(backend, async () => {
    const params = fromStateDict(stateDictAt(golden, "init.", cfg));
    const x = goldenInput(golden);
    const evalOut = forward(params, x, { training: false });
    assert.ok(
      relativeError(
        await evalOut.logits.data(),
        golden.tensors["eval.logits"].data as Float32Array,
      ) < tolerance,
    );
    const trainOut = forward(params, x, { training: true });
    assert.ok(
      relativeError(
        await trainOut.logits.data(),
        golden.tensors["train.logits"].data as Float32Array,
      ) < tolerance,
    );
    const afterForward = await toStateDict({
      ...params,
      features: params.features.map((f, i) => ({
        conv: f.conv,
        bn: { ...f.bn, ...trainOut.runningStats![i] },
      })),
    });
    for (const [key, value] of Object.entries(afterForward)) {
      if (!key.includes("running_")) continue;
      const expected = golden.tensors[`train.after_forward.${key}`];
      assert.ok(expected, key);
      const err = relativeError(value.data as Float32Array, expected.data as Float32Array);
      assert.ok(err < tolerance, `${backend} ${key}: ${err}`);
    }
    tf.dispose([evalOut.logits, trainOut.logits]);
    for (const s of trainOut.runningStats!) tf.dispose([s.runningMean, s.runningVar]);

    const labels = tf.tensor1d(golden.tensors["input.y"].data as Float32Array, "int32");
    const { lr, momentum, weight_decay: weightDecay, lambda, losses } = golden.json.sgd;
    let state: TrainState = { params, buffers: null };
    for (const step of [1, 2]) {
      const result = trainStep(state, x, labels, { lr, momentum, weightDecay, lambda });
      disposeState(state);
      state = result.state;
      const loss = (await result.loss.data())[0];
      assert.ok(
        Math.abs(loss - losses[step - 1]) < stepTolerance * Math.max(1, losses[step - 1]),
        `${backend} loss ${step}: ${loss}`,
      );
      tf.dispose([result.loss, result.correct]);
      assert.ok(state.params.arch === "vgg");
      const dict = await toStateDict(state.params);
      for (const [key, value] of Object.entries(dict)) {
        if (key.endsWith("num_batches_tracked")) continue;
        const expected = golden.tensors[`sgd.step${step}.${key}`];
        assert.ok(expected, key);
        const err = relativeError(value.data as Float32Array, expected.data as Float32Array);
        assert.ok(err < stepTolerance, `${backend} step ${step} ${key}: relative error ${err}`);
      }
    }
    disposeState(state);
    tf.dispose([x, labels]);
  });
}

Deno.test({
  name: "golden: forward, running statistics and two sparsity SGD steps on every backend",
  ignore: !haveGolden,
  fn: async () => {
    const backends = ["cpu", ...(await kernelBackends())];
    for (const backend of backends) await checkBackend(backend);
  },
});

Deno.test({
  name: "golden: forward, running statistics and two sparsity SGD steps on webgpu",
  ignore: !haveGolden || typeof (await probeWebgpu()) === "string",
  fn: async () => {
    await useBackend("webgpu");
    await tf.setBackend("cpu");
    await checkBackend("webgpu", GPU_TOLERANCE, GPU_TOLERANCE);
  },
});

Deno.test({
  name: "golden: the state_dict round trip through the parameter tree is exact",
  ignore: !haveGolden,
  fn: async () => {
    const golden = loadGolden();
    const file = stateDictAt(golden, "init.", golden.json.cfg);
    const params = fromStateDict(file);
    const dict = await toStateDict(params);
    for (const [key, value] of Object.entries(file.tensors)) {
      assert.deepEqual(
        Array.from(dict[key].data as Float32Array),
        Array.from(value.data as Float32Array),
        key,
      );
    }
    disposeTree(params);
  },
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
