import assert from "node:assert/strict";
import { foldConvBn, oihwToHwio, transpose2d } from "./inference_model.ts";

Deno.test("foldConvBn: conv then BN equals the folded conv, per output channel", () => {
  // One input channel, two outputs: a 3x3 patch x, y_o = sum(w_o * x) then BN.
  const x = Float32Array.from({ length: 9 }, (_, k) => k - 4);
  const weight = Float32Array.from({ length: 18 }, (_, k) => Math.sin(k));
  const bn = {
    gamma: Float32Array.from([1.5, -0.4]),
    beta: Float32Array.from([0.2, -0.3]),
    mean: Float32Array.from([0.5, -1]),
    variance: Float32Array.from([2, 0.25]),
    eps: 1e-5,
  };
  const folded = foldConvBn({ inChannels: 1, outChannels: 2, weight, bn });
  assert.equal(folded.bn, undefined);
  for (let o = 0; o < 2; o++) {
    let z = 0;
    let zf = 0;
    for (let k = 0; k < 9; k++) {
      z += weight[o * 9 + k] * x[k];
      zf += folded.weight[o * 9 + k] * x[k];
    }
    const y = (z - bn.mean[o]) / Math.sqrt(bn.variance[o] + bn.eps) * bn.gamma[o] + bn.beta[o];
    assert.ok(
      Math.abs(zf + folded.bias![o] - y) < 1e-5,
      `channel ${o}: ${zf + folded.bias![o]} vs ${y}`,
    );
  }
});

Deno.test("oihwToHwio and transpose2d move each value where tfjs expects it", () => {
  const [o, i] = [3, 2];
  const w = Float32Array.from({ length: o * i * 9 }, (_, k) => k);
  const hwio = oihwToHwio(w, i, o);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let k = 0; k < 9; k++) assert.equal(hwio[(k * i + b) * o + a], w[(a * i + b) * 9 + k]);
    }
  }
  assert.deepEqual(Array.from(transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)), [
    1,
    4,
    2,
    5,
    3,
    6,
  ]);
});
