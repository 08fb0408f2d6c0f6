import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import {
  batchNorms,
  countResnetParams,
  forward,
  type ResnetParams,
  trainableLeaves,
} from "./mod.ts";
import { arbResnetShape, randomImages, randomResnetParams } from "./testing.ts";
import {
  maskResnetParams,
  pruneResnet,
  pruneResnetWithMasks,
  resnetLiveAbsGammas,
} from "./prune.ts";

await tf.setBackend("cpu");

/** Parameters held by the tree: trainables plus one selection index per bn1/final-BN channel. */
function treeParams(params: ResnetParams): number {
  const trainable = trainableLeaves(params).reduce((n, [, t]) => n + t.size, 0);
  return trainable + params.blocks.reduce((n, b) => n + b.bn1.gamma.size, 0) + params.bn.gamma.size;
}

function logitsOf(params: ResnetParams, x: tf.Tensor4D, training: boolean): Float32Array {
  return tf.tidy(() => forward(params, x, { training }).logits.dataSync() as Float32Array);
}

function assertClose(a: Float32Array, b: Float32Array, what: string): void {
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  const diff = Math.max(...Array.from(b, (v, i) => Math.abs(v - a[i])));
  assert.ok(diff <= 1e-4 * scale, `${what}: max difference ${diff}`);
}

Deno.test("pruneResnet (property): slim == masked, counts match the formula, no layer emptied", async () => {
  const x = randomImages(2, 9);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbResnetShape(),
      fc.nat(1000),
      fc.constantFrom<"distinct" | "ties">("distinct", "ties"),
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      async (shape, seed, kind, ratio) => {
        const params = randomResnetParams(shape, seed, kind);
        const abs = await resnetLiveAbsGammas(params);
        const result = await pruneResnet(params, ratio);
        const masked = maskResnetParams(params, result.masks);
        try {
          const { report, cfg } = result;
          assert.ok(cfg.every((k) => k >= 1), `a layer was emptied: ${cfg}`);
          assert.deepEqual(result.params.cfg, cfg);
          assert.deepEqual(report.kept, cfg);
          assert.deepEqual(report.channelsBefore, shape.cfg);
          assert.deepEqual(report.cfgBefore, shape.cfg);
          assert.equal(report.total, shape.cfg.reduce((a, b) => a + b, 0));
          assert.equal(report.pruned, report.total - cfg.reduce((a, b) => a + b, 0));
          // The threshold rule, outside the layers the guard raised.
          result.masks.forEach((mask, i) => {
            if (report.guardedLayers.includes(i)) return;
            assert.deepEqual(mask, Array.from(abs[i], (v) => v > report.threshold), `layer ${i}`);
          });
          const expected = countResnetParams(cfg, shape.depth, 10, shape.planes);
          assert.equal(report.paramsAfter, expected);
          assert.equal(treeParams(result.params), expected);
          assert.equal(report.paramsBefore, treeParams(params));
          // The residual stream keeps its width: every BN that reads it stays whole.
          result.params.blocks.forEach((b, i) => {
            assert.deepEqual(b.bn1.gamma.shape, params.blocks[i].bn1.gamma.shape);
            assert.deepEqual(b.conv3.shape.slice(3), params.blocks[i].conv3.shape.slice(3));
          });
          for (const training of [false, true]) {
            const what = `${training ? "training" : "eval"} mode, ratio ${ratio}`;
            assertClose(logitsOf(result.params, x, training), logitsOf(masked, x, training), what);
          }
        } finally {
          disposeTree(result.params);
          disposeTree(masked);
          disposeTree(params);
        }
      },
    ),
    { numRuns: 25 },
  );
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  x.dispose();
});

Deno.test("pruneResnet: resprune.py's threshold, masks and cfg on known gammas", async () => {
  const shape = { depth: 11, planes: [1, 1, 1] as const, cfg: [1, 1, 1, 4, 1, 1, 4, 1, 1, 4] };
  const params = randomResnetParams(shape, 1);
  // |gamma| per BN; the final BN and each bn1 are pruned like any other.
  const values = [
    [0.9],
    [0.3],
    [0.5],
    [0.1, 0.2, 0.8, 0.05],
    [0.7],
    [0.6],
    [0.02, 0.4, 0.45, 0.35],
    [
      0.25,
    ],
    [0.15],
    [0.01, 0.03, 0.85, 0.04],
  ];
  const bns = batchNorms(params);
  const withGammas: ResnetParams = {
    ...params,
    blocks: params.blocks.map((b, i) => ({
      ...b,
      bn1: { ...b.bn1, gamma: tf.tensor1d(values[3 * i].map((v) => -v)) },
      bn2: { ...b.bn2, gamma: tf.tensor1d(values[3 * i + 1]) },
      bn3: { ...b.bn3, gamma: tf.tensor1d(values[3 * i + 2]) },
    })),
    bn: { ...params.bn, gamma: tf.tensor1d(values[9]) },
  };
  // 19 channels; ratio 0.5 -> sorted[9] = 0.3 is the threshold; strictly above are kept.
  const result = await pruneResnet(withGammas, 0.5);
  assert.ok(Math.abs(result.report.threshold - 0.3) < 1e-7);
  assert.deepEqual(result.cfg, [1, 1, 1, 1, 1, 1, 3, 1, 1, 1]);
  assert.deepEqual(result.report.guardedLayers, [1, 7, 8]);
  assert.deepEqual(result.masks[6], [false, true, true, true]);
  assert.deepEqual(result.params.blocks[2].select, [1, 2, 3]);
  assert.deepEqual(result.params.select, [2]);
  // bn1's pruned channels: gamma and beta zeroed, statistics kept, as resprune.py copies them.
  const bn1 = result.params.blocks[1].bn1;
  // (-0 where resprune.py multiplies a negative gamma by 0, as torch does too.)
  assert.deepEqual(Array.from(bn1.gamma.dataSync(), (v) => v + 0), [0, 0, -0.800000011920929, 0]);
  assert.equal(bn1.beta.dataSync()[0] + 0, 0);
  assert.deepEqual(
    Array.from(bn1.runningVar.dataSync()),
    Array.from(bns[3].runningVar.dataSync()),
  );
  // Without the guard layer1.0.bn2 (0.3 is not above 0.3) is emptied: the reference crashes.
  await assert.rejects(
    () => pruneResnet(withGammas, 0.5, { minChannels: 0 }),
    (e: Error) =>
      e instanceof UsageError && /BN layer layer1\.0\.bn2 with no channels/.test(e.message),
  );
  disposeTree(result.params);
  for (const b of withGammas.blocks) tf.dispose([b.bn1.gamma, b.bn2.gamma, b.bn3.gamma]);
  withGammas.bn.gamma.dispose();
  disposeTree(params);
});

Deno.test("pruneResnet: a pruned model prunes again; dropped channels stay dropped", async () => {
  const shape = { depth: 20, planes: [2, 3, 4] as const, cfg: [] as number[] };
  shape.cfg.push(2, 3, 2, 8, 3, 3, 8, 2, 4, 12, 3, 2, 12, 4, 5, 16, 2, 3, 16);
  const params = randomResnetParams(shape, 6);
  const x = randomImages(2, 1);
  const first = await pruneResnet(params, 0.3);
  const second = await pruneResnet(first.params, 0.4);
  second.params.blocks.forEach((b, i) => {
    const earlier = new Set(first.params.blocks[i].select);
    assert.ok(b.select.every((c) => earlier.has(c)), `block ${i}`);
  });
  assert.ok(second.report.total === first.cfg.reduce((a, b) => a + b, 0));
  const masked = maskResnetParams(first.params, second.masks);
  assertClose(logitsOf(second.params, x, false), logitsOf(masked, x, false), "second pass");
  // A mask that revives a dropped channel does not fit the pruned model.
  const revive = second.masks.map((m) => m.map(() => true));
  assert.throws(() => pruneResnetWithMasks(first.params, revive), /removed/);
  assert.throws(() => maskResnetParams(first.params, revive.slice(1)), /masks for/);
  for (const p of [params, first.params, second.params, masked]) disposeTree(p);
  x.dispose();
});

Deno.test("pruneResnet: bad ratios and diverged gammas are UsageErrors", async () => {
  const params = randomResnetParams(
    { depth: 11, planes: [1, 1, 1], cfg: [1, 1, 1, 4, 1, 1, 4, 1, 1, 4] },
    2,
  );
  for (const ratio of [-0.1, 1, NaN]) {
    await assert.rejects(() => pruneResnet(params, ratio), UsageError);
  }
  const nan: ResnetParams = { ...params, bn: { ...params.bn, gamma: tf.tensor1d([1, NaN, 0, 2]) } };
  await assert.rejects(() => pruneResnet(nan, 0.5), /BN gamma 1 of bn is NaN/);
  nan.bn.gamma.dispose();
  disposeTree(params);
});
