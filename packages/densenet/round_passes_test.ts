import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree } from "@slimming/tensor-utils";
import { type DensenetParams, forward, selectedBns } from "./mod.ts";
import {
  arbFullSpec,
  arbGammaKind,
  arbSpec,
  maxAbsDiff,
  randomDensenet,
  randomImages,
} from "./testing.ts";
import {
  densenetAbsGammasAsync,
  densenetDecision,
  type DensenetPruneReport,
  maskDensenet,
  pruneDensenetFromAbsGammas,
} from "./prune.ts";
import {
  layerCapFloor,
  multiPassPruneWith,
  type PassPruner,
  roundedCount,
} from "@slimming/slimming";

await tf.setBackend("cpu");

const DENSENET_PASS: PassPruner<DensenetParams, DensenetPruneReport> = {
  absGammas: densenetAbsGammasAsync,
  prune: pruneDensenetFromAbsGammas,
};

function logitsOf(params: DensenetParams, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => forward(params, x, { training: false }).logits.dataSync() as Float32Array);
}

const count = (mask: readonly boolean[]) => mask.filter(Boolean).length;

Deno.test("pruneDensenet --round-to (property): multiples of N or the layer, guard, slim == masked", async () => {
  const x = randomImages(2, 4);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      // Unpruned models, and models whose selections already dropped channels.
      fc.oneof(arbFullSpec, arbSpec),
      arbGammaKind,
      fc.nat(999),
      fc.double({ min: 0, max: 0.95, noNaN: true }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      async (spec, kind, seed, ratio, roundTo, minChannels) => {
        const params = randomDensenet(spec, seed, kind);
        const abs = await densenetAbsGammasAsync(params);
        const result = pruneDensenetFromAbsGammas(params, abs, ratio, { roundTo, minChannels });
        const masked = maskDensenet(params, result.masks);
        try {
          const { report } = result;
          const selected = selectedBns(params).map((u) => u.selected);
          const unrounded = densenetDecision(selected, abs, ratio, { minChannels });
          assert.deepEqual(result.keptBeforeRounding, unrounded.kept);
          report.kept.forEach((k, i) => {
            const width = spec.cfg[i];
            const what = `layer ${i}: ${k} of ${width}, N ${roundTo}`;
            assert.ok(k % roundTo === 0 || k === width, what);
            assert.equal(k, roundedCount(unrounded.kept[i], width, roundTo), what);
            assert.ok(k >= Math.min(width, minChannels) && k >= 1, `guard: ${what}`);
            assert.equal(count(result.masks[i]), k);
            unrounded.masks[i].forEach((keep, c) => assert.ok(!keep || result.masks[i][c]));
          });
          assert.deepEqual(result.params.cfg, report.kept);
          const diff = maxAbsDiff(logitsOf(result.params, x), logitsOf(masked, x));
          assert.ok(diff <= 1e-4, `ratio ${ratio}: max difference ${diff}`);
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

Deno.test("multiPassPruneWith on a DenseNet (property): 2 passes, cap and guard, masked == slim", async () => {
  const x = randomImages(2, 7);
  const before = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(
      arbFullSpec,
      arbGammaKind,
      fc.nat(999),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      fc.constantFrom(0.25, 0.5, 1),
      fc.integer({ min: 1, max: 2 }),
      async (spec, kind, seed, ratio, maxLayerRatio, minChannels) => {
        const params = randomDensenet(spec, seed, kind);
        const result = await multiPassPruneWith(params, DENSENET_PASS, {
          passes: 2,
          ratio,
          maxLayerRatio,
          minChannels,
        });
        const masked = maskDensenet(params, result.masks);
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
          const diff = maxAbsDiff(logitsOf(result.params, x), logitsOf(masked, x));
          assert.ok(diff <= 1e-4, `ratio ${ratio}: max difference ${diff}`);
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
