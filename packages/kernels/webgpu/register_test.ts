/**
 * Our WGSL kernels against the stock tfjs cpu ops on the same inputs (Mesa's llvmpipe in
 * CI), within 1e-4 relative; skipped where there is no WebGPU adapter.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { FUSED } from "@slimming/tensor-utils";
import { useBackend } from "../select.ts";
import { probeWebgpu } from "./adapter.ts";

const ignore = typeof (await probeWebgpu()) === "string";
const TOLERANCE = 1e-4;
const EPS = 1e-5, MOMENTUM = 0.1;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, what);
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(diff / scale < TOLERANCE, `${what}: relative error ${diff / scale}`);
}

/** Random arrays (seeded, on cpu) so both backends see the same numbers. */
function rand(shape: number[], seed: number, scale = 1): { shape: number[]; values: Float32Array } {
  const t = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, "float32", seed), scale));
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return { shape, values };
}

const on = (a: { shape: number[]; values: Float32Array }) => tf.tensor(a.values, a.shape);

async function onGpu(fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend("webgpu");
  try {
    const outs = fn();
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    return values;
  } finally {
    await tf.setBackend("cpu");
  }
}

function onCpu(fn: () => tf.Tensor[]): Float32Array[] {
  const outs = fn();
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

// Shapes: tiny, ragged tiles (Cin 20, Cout 40), and a long filter-gradient range (split K).
const CASES: Array<[number, number, number, number, number]> = [
  [2, 5, 6, 3, 4],
  [3, 8, 8, 20, 40],
  [8, 16, 16, 8, 16],
];

Deno.test({
  name: "webgpu kernels: conv3x3 + BN + ReLU forward, running statistics, inference form",
  ignore,
  fn: async () => {
    await useBackend("webgpu");
    await tf.setBackend("cpu");
    for (const [n, h, w, cin, cout] of CASES) {
      const x = rand([n, h, w, cin], 1), wt = rand([3, 3, cin, cout], 2, 0.3);
      const gamma = rand([cout], 3), beta = rand([cout], 4), rm = rand([cout], 5);
      const rv = { shape: [cout], values: rand([cout], 6).values.map((v) => 0.5 + Math.abs(v)) };
      const run = () => {
        const outs = tf.engine().runKernel(FUSED.convBnRelu, {
          x: on(x),
          weight: on(wt),
          gamma: on(gamma),
          beta: on(beta),
          runningMean: on(rm),
          runningVar: on(rv),
        }, { eps: EPS, momentum: MOMENTUM }) as tf.Tensor[];
        const affine = tf.engine().runKernel(FUSED.convAffineRelu, {
          x: on(x),
          weight: on(wt),
          scale: on(gamma),
          shift: on(beta),
        }, {}) as tf.Tensor;
        return [...outs, affine];
      };
      const got = await onGpu(() => tf.tidy(run));
      const want = onCpu(() =>
        tf.tidy(() => {
          const z = tf.conv2d(on(x) as tf.Tensor4D, on(wt) as tf.Tensor4D, 1, "same");
          const { mean, variance } = tf.moments(z, [0, 1, 2]);
          const y = tf.relu(tf.batchNorm(z, mean, variance, on(beta), on(gamma), EPS));
          const count = n * h * w;
          const nrm = tf.add(tf.mul(on(rm), 1 - MOMENTUM), tf.mul(mean, MOMENTUM));
          const nrv = tf.add(
            tf.mul(on(rv), 1 - MOMENTUM),
            tf.mul(tf.mul(variance, count / (count - 1)), MOMENTUM),
          );
          const affine = tf.relu(tf.add(tf.mul(z, on(gamma)), on(beta)));
          return [y, z, mean, variance, nrm, nrv, affine];
        })
      );
      ["y", "z", "mean", "var", "running mean", "running var", "affine"].forEach((what, i) =>
        assertClose(got[i], want[i], `${what} ${[n, h, w, cin, cout]}`)
      );
    }
  },
});

Deno.test({
  name: "webgpu kernels: conv3x3 input and filter gradients",
  ignore,
  fn: async () => {
    await useBackend("webgpu");
    await tf.setBackend("cpu");
    for (const [n, h, w, cin, cout] of CASES) {
      const x = rand([n, h, w, cin], 7), wt = rand([3, 3, cin, cout], 8, 0.3);
      const dz = rand([n, h, w, cout], 9);
      const got = await onGpu(() =>
        tf.tidy(() =>
          [
            tf.engine().runKernel(FUSED.conv3x3GradInput, { dz: on(dz), weight: on(wt) }, {}),
            tf.engine().runKernel(FUSED.conv3x3GradFilter, { x: on(x), dz: on(dz) }, {}),
          ] as tf.Tensor[]
        )
      );
      const want = onCpu(() =>
        tf.tidy(() => {
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), on(dz)));
          return tf.grads(f)([on(x), on(wt)]);
        })
      );
      assertClose(got[0], want[0], `dx ${[n, h, w, cin, cout]}`);
      assertClose(got[1], want[1], `dw ${[n, h, w, cin, cout]}`);
    }
  },
});

Deno.test({
  name: "webgpu kernels: BN + ReLU backward and the SGD update",
  ignore,
  fn: async () => {
    await useBackend("webgpu");
    await tf.setBackend("cpu");
    for (const [n, h, w, , c] of CASES) {
      const z = rand([n, h, w, c], 10), dy = rand([n, h, w, c], 11);
      const gamma = rand([c], 12), beta = rand([c], 13);
      const [mean, variance] = onCpu(() =>
        tf.tidy(() => Object.values(tf.moments(on(z), [0, 1, 2])))
      ).map((values) => ({ shape: [c], values }));
      const got = await onGpu(() =>
        tf.engine().runKernel(FUSED.bnReluGrad, {
          dy: on(dy),
          z: on(z),
          gamma: on(gamma),
          beta: on(beta),
          mean: on(mean),
          variance: on(variance),
        }, { eps: EPS }) as tf.Tensor[]
      );
      const want = onCpu(() =>
        tf.tidy(() => {
          const f = (zz: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
            const m = tf.moments(zz, [0, 1, 2]);
            return tf.sum(tf.mul(tf.relu(tf.batchNorm(zz, m.mean, m.variance, b, g, EPS)), on(dy)));
          };
          return tf.grads(f)([on(z), on(gamma), on(beta)]);
        })
      );
      ["dz", "dgamma", "dbeta"].forEach((what, i) =>
        assertClose(got[i], want[i], `${what} ${[n, h, w, c]}`)
      );
    }
    const shapes = [[3, 3, 4, 5], [7], [1000]];
    const p = shapes.map((s, i) => rand(s, 20 + i)), g = shapes.map((s, i) => rand(s, 30 + i));
    const b = shapes.map((s, i) => rand(s, 40 + i));
    const hyper = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, l1: [0, 1e-3, 0] };
    for (const first of [true, false]) {
      const inputs: Record<string, tf.Tensor> = {};
      const got = await onGpu(() => {
        shapes.forEach((_, i) => {
          inputs[`param${i}`] = on(p[i]);
          inputs[`grad${i}`] = on(g[i]);
          inputs[`buffer${i}`] = on(first ? g[i] : b[i]);
        });
        const outs = tf.engine().runKernel(FUSED.sgd, inputs, {
          count: shapes.length,
          first,
          ...hyper,
        }) as tf.Tensor[];
        tf.dispose(Object.values(inputs));
        return outs;
      });
      shapes.forEach((_, i) => {
        const want = onCpu(() =>
          tf.tidy(() => {
            const d = tf.add(
              tf.add(on(g[i]), tf.mul(tf.sign(on(p[i])), hyper.l1[i])),
              tf.mul(on(p[i]), hyper.weightDecay),
            );
            const buf = first ? d : tf.add(tf.mul(on(b[i]), hyper.momentum), d);
            return [tf.sub(on(p[i]), tf.mul(buf, hyper.lr)), buf];
          })
        );
        assertClose(got[i], want[0], `sgd param ${i} first=${first}`);
        assertClose(got[shapes.length + i], want[1], `sgd buffer ${i} first=${first}`);
      });
    }
  },
});
