import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { sgdStep } from "./sgd.ts";

/** PyTorch's SGD (dampening 0) with the L1 term, two steps, in plain numbers. */
function reference(
  p: number,
  grads: number[],
  o: { lr: number; m: number; wd: number; l1: number; nesterov: boolean },
) {
  let buf = 0;
  grads.forEach((g, step) => {
    const d = g + o.l1 * Math.sign(p) + o.wd * p;
    buf = step === 0 ? d : o.m * buf + d;
    p -= o.lr * (o.nesterov ? d + o.m * buf : buf);
  });
  return p;
}

Deno.test("sgdStep: momentum and Nesterov momentum match PyTorch's rule over two steps", () => {
  for (const nesterov of [false, true]) {
    const o = { lr: 0.1, m: 0.9, wd: 1e-2, l1: 1e-2, nesterov };
    const start = [0.5, -0.3];
    const grads = [[0.2, -0.4], [0.1, 0.3]];
    let params: tf.Tensor[] = [tf.tensor1d(start)];
    let buffers: tf.Tensor[] | null = null;
    for (const g of grads) {
      const grad = tf.tensor1d(g);
      const step = sgdStep(params, [grad], buffers, [true], {
        lr: o.lr,
        momentum: o.m,
        weightDecay: o.wd,
        lambda: o.l1,
        nesterov,
      });
      tf.dispose([grad, ...params, ...(buffers ?? [])]);
      params = step.params;
      buffers = step.buffers;
    }
    const got = Array.from(params[0].dataSync());
    start.forEach((p0, i) => {
      const want = reference(p0, grads.map((g) => g[i]), o);
      assert.ok(Math.abs(got[i] - want) < 1e-6, `nesterov ${nesterov}, ${i}: ${got[i]} vs ${want}`);
    });
    tf.dispose([...params, ...(buffers ?? [])]);
  }
});
