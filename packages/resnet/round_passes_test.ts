import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { forward, type ResnetParams } from "./mod.ts";
import { arbResnetShape, randomImages, randomResnetParams } from "./testing.ts";
import { maskResnetParams, pruneResnetFromAbsGammas, resnetLiveAbsGammas } from "./prune.ts";
import {
  layerCapFloor,
  multiPassPruneWith,
  type PassPruner,
  pruneDecision,
  roundedCount,
} from "@slimming/slimming";

await tf.setBackend("cpu");

const RESNET_PASS: PassPruner<ResnetParams> = {
  absGammas: resnetLiveAbsGammas,
  prune: pruneResnetFromAbsGammas,
};

function logitsOf(params: ResnetParams, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => forward(params, x, { training: false }).logits.dataSync() as Float32Array);
}

function assertClose(a: Float32Array, b: Float32Array, what: string): void {
  const diff = Math.max(...Array.from(b, (v, i) => Math.abs(v - a[i])));
  assert.ok(diff <= 1e-4, `${what}: max difference ${diff}`);
}

const count = (mask: readonly boolean[]) => mask.filter(Boolean).length;

Deno.test("pruneResnet --round-to (property): multiples of N or the layer, guard, slim == masked", async () => {
  const x = randomImages(2, 5);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbResnetShape(4, 12),
      fc.nat(1000),
      fc.constantFrom<"distinct" | "ties">("distinct", "ties"),
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      async (shape, seed, kind, ratio, roundTo, minChannels) => {
        const params = randomResnetParams(shape, seed, kind);
        const abs = await resnetLiveAbsGammas(params);
        const result = pruneResnetFromAbsGammas(params, abs, ratio, { roundTo, minChannels });
        const masked = maskResnetParams(params, result.masks);
        try {
          const { report } = result;
          const unrounded = pruneDecision(abs, ratio, { minChannels });
          assert.deepEqual(result.keptBeforeRounding, unrounded.kept);
          assert.deepEqual(report.guardedLayers, unrounded.guardedLayers);
          report.kept.forEach((k, i) => {
            const width = shape.cfg[i];
            const what = `layer ${i}: ${k} of ${width}, N ${roundTo}`;
            assert.ok(k % roundTo === 0 || k === width, what);
            assert.equal(k, roundedCount(unrounded.kept[i], width, roundTo), what);
            assert.ok(k >= Math.min(width, minChannels) && k >= 1, `guard: ${what}`);
            assert.equal(count(result.masks[i]), k);
            // Rounding only adds channels to what the threshold and guard kept.
            unrounded.masks[i].forEach((keep, c) => assert.ok(!keep || result.masks[i][c]));
          });
          assert.deepEqual(result.params.cfg, report.kept);
          assertClose(logitsOf(result.params, x), logitsOf(masked, x), `ratio ${ratio}`);
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

Deno.test("multiPassPruneWith on a ResNet (property): 2 passes, cap and guard, masked == slim", async () => {
  const x = randomImages(2, 6);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbResnetShape(4, 8),
      fc.nat(1000),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      fc.constantFrom(0.25, 0.5, 1),
      fc.integer({ min: 1, max: 2 }),
      async (shape, seed, ratio, maxLayerRatio, minChannels) => {
        const params = randomResnetParams(shape, seed);
        const calls: number[] = [];
        const result = await multiPassPruneWith(params, RESNET_PASS, {
          passes: 2,
          ratio,
          maxLayerRatio,
          minChannels,
          // A no-op fine-tune: the masked original must compute what the final model does.
          fineTune: (model, pass) => (calls.push(pass), model),
        });
        const masked = maskResnetParams(params, result.masks);
        try {
          assert.deepEqual(calls, [0, 1]);
          const [first, second] = result.reports;
          assert.deepEqual(first.channelsBefore, shape.cfg);
          assert.deepEqual(second.channelsBefore, first.kept);
          for (const report of result.reports) {
            report.kept.forEach((k, i) => {
              const width = report.channelsBefore[i];
              assert.ok(k >= layerCapFloor(width, maxLayerRatio), `cap, layer ${i}`);
              assert.ok(k >= Math.min(width, minChannels) && k >= 1, `guard, layer ${i}`);
            });
          }
          // The merged masks keep, per layer of the original, exactly the final channels.
          assert.deepEqual(result.masks.map(count), second.kept);
          assert.deepEqual(result.params.cfg, second.kept);
          assertClose(logitsOf(result.params, x), logitsOf(masked, x), `ratio ${ratio}`);
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
