/**
 * The CIFAR ResNet on the project's kernel backends (wasm-simd, and native where a C compiler
 * is found): its stride-1 conv -> BN -> ReLU layers run the fused kernels there, so the
 * eval- and training-mode logits, the new running statistics and the gradient of every
 * trainable tensor are compared with the stock `cpu` backend's.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree, FUSED, hasFusedKernel } from "@slimming/tensor-utils";
import { cifarResnetOps } from "@slimming/cifar-resnet";
import { randomCifarResnet, randomImages } from "@slimming/cifar-resnet/testing";
import { disposeBackends } from "@slimming/kernels";
import { kernelBackends, maxRelativeError, onBackend } from "@slimming/kernels/testing";

const TOLERANCE = 1e-4;

/** Depth 14 at stage widths 6, 8, 12 with pruned-like inner widths. */
const SPEC = { depth: 14, planes: [6, 8, 12] as const, cfg: [5, 6, 3, 8, 12, 2] };

/** [eval logits, training logits, running statistics..., gradients...] on the active backend. */
function outputs(): Array<[string, Float32Array]> {
  const params = randomCifarResnet(SPEC, 7);
  const x = randomImages(3, 8);
  const ops = cifarResnetOps;
  const labels = tf.oneHot(tf.tensor1d([1, 0, 9], "int32"), 10);
  const out: Array<[string, Float32Array]> = [];
  const read = (name: string, t: tf.Tensor) => out.push([name, t.dataSync() as Float32Array]);
  tf.tidy(() => {
    read("eval logits", ops.forward(params, x, { training: false }).logits);
    const train = ops.forward(params, x, { training: true });
    read("training logits", train.logits);
    train.runningStats!.forEach((s, i) => {
      read(`running mean ${i}`, s.runningMean);
      read(`running var ${i}`, s.runningVar);
    });
    const leaves = ops.trainableLeaves(params);
    const { grads } = tf.valueAndGrads((...values: tf.Tensor[]) => {
      const logits = ops.forward(ops.withTrainable(params, values), x, { training: true }).logits;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    })(leaves.map(([, t]) => t));
    grads.forEach((g, i) => read(`d ${leaves[i][0]}`, g));
  });
  tf.dispose([x, labels]);
  disposeTree(params);
  return out;
}

Deno.test("CIFAR ResNet on the kernel backends: logits, running statistics, gradients as on cpu", async () => {
  await tf.setBackend("cpu");
  const expected = outputs();
  const backends = await kernelBackends();
  assert.ok(backends.length > 0, "no kernel backend started");
  for (const backend of backends) {
    const actual = await onBackend(backend, () => {
      assert.ok(hasFusedKernel(FUSED.convBnRelu), `${backend} registers ${FUSED.convBnRelu}`);
      return outputs();
    });
    let worst = 0;
    for (const [i, [name, values]] of expected.entries()) {
      assert.equal(actual[i][0], name);
      const err = maxRelativeError(actual[i][1], values);
      worst = Math.max(worst, err);
      assert.ok(err < TOLERANCE, `${backend} ${name}: relative error ${err}`);
    }
    console.log(
      `${backend}: ${expected.length} arrays, largest relative error ${worst.toExponential(2)}`,
    );
  }
});

Deno.test({
  name: "stop kernel workers",
  fn: () => disposeBackends(),
  sanitizeOps: false,
  sanitizeResources: false,
});
