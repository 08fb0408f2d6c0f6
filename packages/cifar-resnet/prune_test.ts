import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import {
  cifarResnetForward,
  type CifarResnetParams,
  cifarResnetTrainableLeaves,
  countCifarResnetFlops,
  countCifarResnetParams,
} from "./mod.ts";
import { arbCifarResnetSpec, arbGammaKind, randomCifarResnet, randomImages } from "./testing.ts";
import {
  CIFAR_RESNET_PASS,
  cifarResnetAbsGammas,
  maskCifarResnet,
  pruneCifarResnet,
  pruneCifarResnetFromAbsGammas,
  slimCifarResnet,
} from "./prune.ts";
import { layerCapFloor, multiPassPruneWith, pruneDecision, roundedCount } from "@slimming/slimming";

await tf.setBackend("cpu");

/** Parameters held by the tree (PyTorch's `parameters()`). */
function treeParams(params: CifarResnetParams): number {
  return cifarResnetTrainableLeaves(params).reduce((n, [, t]) => n + t.size, 0);
}

function logitsOf(params: CifarResnetParams, x: tf.Tensor4D, training: boolean): Float32Array {
  return tf.tidy(() =>
    cifarResnetForward(params, x, { training }).logits.dataSync() as Float32Array
  );
}

function assertClose(a: Float32Array, b: Float32Array, what: string): void {
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  const diff = Math.max(...Array.from(b, (v, i) => Math.abs(v - a[i])));
  assert.ok(diff <= 1e-4 * scale, `${what}: max difference ${diff}`);
}

const count = (mask: readonly boolean[]) => mask.filter(Boolean).length;

Deno.test("pruneCifarResnet (property): guard, threshold rule, counts, stream intact, slim == masked", async () => {
  const x = randomImages(2, 9);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbCifarResnetSpec(),
      fc.nat(1000),
      arbGammaKind,
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
      async (spec, seed, kind, ratio, minChannels) => {
        const params = randomCifarResnet(spec, seed, kind);
        const abs = await cifarResnetAbsGammas(params);
        let result;
        try {
          result = await pruneCifarResnet(params, ratio, { minChannels });
        } catch (error) {
          // Only without the guard may a layer be emptied, and then it is a UsageError.
          assert.equal(minChannels, 0, String(error));
          assert.ok(error instanceof UsageError && /no channels/.test(error.message));
          disposeTree(params);
          return;
        }
        const masked = maskCifarResnet(params, result.masks);
        try {
          const { report, cfg } = result;
          assert.deepEqual(result.params.cfg, cfg);
          assert.deepEqual(report.kept, cfg);
          assert.deepEqual(report.channelsBefore, spec.cfg);
          assert.deepEqual(report.cfgBefore, spec.cfg);
          assert.equal(report.total, spec.cfg.reduce((a, b) => a + b, 0));
          assert.equal(report.pruned, report.total - cfg.reduce((a, b) => a + b, 0));
          cfg.forEach((k, i) => {
            assert.ok(k >= Math.min(spec.cfg[i], minChannels) && k >= 1, `guard, layer ${i}`);
            assert.equal(count(result.masks[i]), k);
          });
          // The reference's threshold, sorted[floor(total * ratio)], outside guarded layers.
          const sorted = abs.flatMap((a) => Array.from(a)).sort((a, b) => a - b);
          assert.equal(report.threshold, sorted[Math.floor(report.total * ratio)]);
          result.masks.forEach((mask, i) => {
            if (report.guardedLayers.includes(i)) return;
            assert.deepEqual(mask, Array.from(abs[i], (v) => v > report.threshold), `layer ${i}`);
          });
          const after = { ...spec, cfg };
          assert.equal(report.paramsAfter, countCifarResnetParams(after));
          assert.equal(treeParams(result.params), report.paramsAfter);
          assert.equal(report.paramsBefore, treeParams(params));
          assert.equal(report.flopsAfter, countCifarResnetFlops(after));
          // The residual stream keeps its width.
          result.params.residualBlocks.forEach((b, i) => {
            const was = params.residualBlocks[i];
            assert.deepEqual(b.conv2.shape.slice(3), was.conv2.shape.slice(3));
            assert.deepEqual(b.bn2.gamma.shape, was.bn2.gamma.shape);
            assert.equal(b.downsample?.conv.shape.join(), was.downsample?.conv.shape.join());
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
    { numRuns: 30 },
  );
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  x.dispose();
});

Deno.test("pruneCifarResnet: the reference's threshold and masks on known gammas; kept weights copied", async () => {
  const spec = { depth: 8, planes: [2, 2, 2] as const, cfg: [3, 2, 4] };
  const params = randomCifarResnet(spec, 1);
  const values = [[0.9, -0.05, 0.3], [0.2, 0.1], [-0.7, 0.02, 0.25, 0.3]];
  const withGammas: CifarResnetParams = {
    ...params,
    residualBlocks: params.residualBlocks.map((b, i) => ({
      ...b,
      bn1: { ...b.bn1, gamma: tf.tensor1d(values[i]) },
    })),
  };
  // 9 channels; ratio 0.5 -> sorted[4] = 0.25 is the threshold; strictly above are kept.
  const result = await pruneCifarResnet(withGammas, 0.5);
  assert.equal(result.report.threshold, Math.fround(0.25));
  assert.deepEqual(result.masks, [[true, false, true], [true, false], [true, false, false, true]]);
  assert.deepEqual(result.cfg, [2, 1, 2]);
  assert.deepEqual(result.report.guardedLayers, [1]);
  // Kept weights are copies of the right slices: conv1 outputs, bn1, conv2 inputs.
  const block = withGammas.residualBlocks[2];
  const slim = result.params.residualBlocks[2];
  assert.deepEqual(
    slim.conv1.arraySync().flat(2).map((v) => [v[0], v[1]]),
    block.conv1.arraySync().flat(2).map((v) => [v[0], v[3]]),
  );
  assert.deepEqual(
    slim.conv2.arraySync().flat(1).map((v) => [v[0], v[1]]),
    block.conv2.arraySync().flat(1).map((v) => [v[0], v[3]]),
  );
  assert.deepEqual(Array.from(slim.bn1.gamma.dataSync()), [Math.fround(-0.7), Math.fround(0.3)]);
  const rm = block.bn1.runningMean.dataSync();
  assert.deepEqual(Array.from(slim.bn1.runningMean.dataSync()), [rm[0], rm[3]]);
  assert.notEqual(slim.bn2.gamma, block.bn2.gamma, "copied, not shared");
  // Without the guard layer2.0.bn1 (0.2 is not above 0.25) is emptied: the reference crashes.
  await assert.rejects(
    () => pruneCifarResnet(withGammas, 0.5, { minChannels: 0 }),
    (e: Error) =>
      e instanceof UsageError && /BN layer layer2\.0\.bn1 with no channels/.test(e.message),
  );
  disposeTree(result.params);
  for (const b of withGammas.residualBlocks) b.bn1.gamma.dispose();
  disposeTree(params);
});

Deno.test("pruneCifarResnet --round-to (property): multiples of N or the layer, guard, slim == masked", async () => {
  const x = randomImages(2, 5);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbCifarResnetSpec(4, 12),
      fc.nat(1000),
      arbGammaKind,
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      async (spec, seed, kind, ratio, roundTo, minChannels) => {
        const params = randomCifarResnet(spec, seed, kind);
        const abs = await cifarResnetAbsGammas(params);
        const result = pruneCifarResnetFromAbsGammas(params, abs, ratio, { roundTo, minChannels });
        const masked = maskCifarResnet(params, result.masks);
        try {
          const { report } = result;
          const unrounded = pruneDecision(abs, ratio, { minChannels });
          assert.deepEqual(result.keptBeforeRounding, unrounded.kept);
          report.kept.forEach((k, i) => {
            const width = spec.cfg[i];
            const what = `layer ${i}: ${k} of ${width}, N ${roundTo}`;
            assert.ok(k % roundTo === 0 || k === width, what);
            assert.equal(k, roundedCount(unrounded.kept[i], width, roundTo), what);
            assert.ok(k >= Math.min(width, minChannels) && k >= 1, `guard: ${what}`);
            unrounded.masks[i].forEach((keep, c) => assert.ok(!keep || result.masks[i][c]));
          });
          assert.deepEqual(result.params.cfg, report.kept);
          assertClose(logitsOf(result.params, x, false), logitsOf(masked, x, false), `${ratio}`);
        } finally {
          disposeTree(result.params);
          disposeTree(masked);
          disposeTree(params);
        }
      },
    ),
    { numRuns: 20 },
  );
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  x.dispose();
});

Deno.test("multiPassPruneWith on a CIFAR ResNet (property): 2 passes, cap and guard, masked == slim", async () => {
  const x = randomImages(2, 6);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbCifarResnetSpec(4, 8),
      fc.nat(1000),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      fc.constantFrom(0.25, 0.5, 1),
      fc.integer({ min: 1, max: 2 }),
      async (spec, seed, ratio, maxLayerRatio, minChannels) => {
        const params = randomCifarResnet(spec, seed);
        const result = await multiPassPruneWith(params, CIFAR_RESNET_PASS, {
          passes: 2,
          ratio,
          maxLayerRatio,
          minChannels,
        });
        const masked = maskCifarResnet(params, result.masks);
        try {
          const [first, second] = result.reports;
          assert.deepEqual(first.channelsBefore, spec.cfg);
          assert.deepEqual(second.channelsBefore, first.kept);
          for (const report of result.reports) {
            assert.equal(report.maxLayerRatio, maxLayerRatio);
            report.kept.forEach((k, i) => {
              const width = report.channelsBefore[i];
              assert.ok(k >= layerCapFloor(width, maxLayerRatio), `cap, layer ${i}`);
              assert.ok(k >= Math.min(width, minChannels) && k >= 1, `guard, layer ${i}`);
            });
          }
          assert.deepEqual(result.masks.map(count), second.kept);
          assert.deepEqual(result.params.cfg, second.kept);
          assertClose(logitsOf(result.params, x, false), logitsOf(masked, x, false), `${ratio}`);
        } finally {
          disposeTree(result.params);
          disposeTree(masked);
          disposeTree(params);
        }
      },
    ),
    { numRuns: 15 },
  );
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  x.dispose();
});

Deno.test("pruneCifarResnet: bad ratios, diverged gammas and masks that do not fit", async () => {
  const params = randomCifarResnet({ depth: 8, planes: [1, 1, 1], cfg: [2, 2, 2] }, 2);
  for (const ratio of [-0.1, 1, NaN]) {
    await assert.rejects(() => pruneCifarResnet(params, ratio), UsageError);
  }
  const blocks = params.residualBlocks;
  const nan: CifarResnetParams = {
    ...params,
    residualBlocks: [blocks[0], {
      ...blocks[1],
      bn1: { ...blocks[1].bn1, gamma: tf.tensor1d([1, NaN]) },
    }, blocks[2]],
  };
  await assert.rejects(() => pruneCifarResnet(nan, 0.5), /BN gamma 1 of layer2\.0\.bn1 is NaN/);
  nan.residualBlocks[1].bn1.gamma.dispose();
  const all = [[true, true], [true, true], [true, true]];
  assert.throws(() => slimCifarResnet(params, all.slice(1)), /2 masks for 3/);
  assert.throws(() => maskCifarResnet(params, [[true], ...all.slice(1)]), /1 entries for 2/);
  assert.throws(
    () => pruneCifarResnetFromAbsGammas(params, [new Float32Array(2)], 0.5),
    /do not fit/,
  );
  disposeTree(params);
});
