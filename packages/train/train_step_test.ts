import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropy } from "./train_step.ts";

Deno.test("crossEntropy: plain and label-smoothed, against a hand computation", () => {
  const logits = [[2, 0.5, -1], [0, 0, 3]];
  const labels = [0, 1];
  const logSoftmax = (row: number[]) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  };
  const expected = (eps: number) =>
    -logits.reduce((sum, row, i) => {
      const lp = logSoftmax(row);
      return sum + lp.reduce((s, v, c) => s + v * ((c === labels[i] ? 1 - eps : 0) + eps / 3), 0);
    }, 0) / logits.length;
  for (const eps of [0, 0.1, 0.5]) {
    const loss = tf.tidy(() =>
      crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, "int32"), eps).dataSync()[0]
    );
    assert.ok(Math.abs(loss - expected(eps)) < 1e-5, `eps ${eps}: ${loss} vs ${expected(eps)}`);
  }
});
