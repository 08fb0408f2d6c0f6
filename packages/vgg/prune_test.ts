import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  decodeSafetensors,
  disposeTree,
  encodeSafetensors,
  UsageError,
} from "@slimming/tensor-utils";
import {
  type CfgItem,
  checkpointMetadata,
  convChannels,
  countFlops,
  countParams,
  forward,
  fromStateDict,
  maskParams,
  prune,
  pruneWithMasks,
  toStateDict,
  trainableLeaves,
  type VggParams,
} from "./mod.ts";
import {
  arbCfg,
  arbGammaKind,
  arbRatio,
  maxAbsDiff,
  randomImages,
  randomParams,
  snapshot,
} from "./testing.ts";

await tf.setBackend("cpu");

const arbMin = fc.integer({ min: 1, max: 4 });

function evalLogits(params: VggParams, x: tf.Tensor4D): Float32Array {
  const { logits } = forward(params, x, { training: false });
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
}

function keptIndices(mask: readonly boolean[]): number[] {
  return mask.flatMap((k, c) => (k ? [c] : []));
}

Deno.test("eval forward of the pruned model equals that of the masked model", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbGammaKind,
      arbRatio,
      arbMin,
      fc.integer({ min: 1, max: 2 }),
      (cfg, seed, kind, ratio, minChannels, batch) => {
        const params = randomParams(cfg, seed, kind);
        const x = randomImages(batch, seed);
        const slim = prune(params, ratio, { minChannels });
        const masked = maskParams(params, slim.masks);
        const a = evalLogits(slim.params, x);
        const b = evalLogits(masked, x);
        const scale = Math.max(1, ...Array.from(b, Math.abs));
        assert.ok(maxAbsDiff(a, b) < 1e-4 * scale, `diff ${maxAbsDiff(a, b)}`);
        [params, slim.params, masked].forEach(disposeTree);
        x.dispose();
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("prune keeps the input intact, copies the kept values and respects minChannels", () => {
  fc.assert(
    fc.property(
      arbCfg(),
      fc.nat(),
      arbGammaKind,
      arbRatio,
      arbMin,
      (cfg, seed, kind, ratio, minChannels) => {
        const params = randomParams(cfg, seed, kind);
        const before = snapshot(params);
        const { params: slim, cfg: newCfg, masks, report } = prune(params, ratio, { minChannels });
        assert.deepEqual(snapshot(params), before);
        assert.deepEqual(params.cfg, cfg);
        const channels = convChannels(cfg);
        assert.deepEqual(report.channelsBefore, channels);
        assert.deepEqual(convChannels(newCfg), report.kept);
        assert.deepEqual(newCfg.filter((v) => v === "M").length, 4);
        assert.deepEqual(slim.cfg, newCfg);
        report.kept.forEach((k, i) => assert.ok(k >= Math.min(minChannels, channels[i]) && k >= 1));
        assert.equal(report.pruned, report.total - report.kept.reduce((a, b) => a + b, 0));
        // Every kept value is the original value at the kept indices.
        const after = snapshot(slim);
        let previous = [0, 1, 2];
        masks.forEach((mask, i) => {
          const keep = keptIndices(mask);
          for (const key of ["gamma", "beta", "runningMean", "runningVar"]) {
            assert.deepEqual(after[`${i}.${key}`], keep.map((c) => before[`${i}.${key}`][c]));
          }
          const inBefore = channels[i - 1] ?? 3;
          const w = before[`${i}.weight`];
          const expected: number[] = [];
          for (let k = 0; k < 9; k++) {
            for (const ci of previous) {
              for (const co of keep) expected.push(w[(k * inBefore + ci) * channels[i] + co]);
            }
          }
          assert.deepEqual(after[`${i}.weight`], expected);
          previous = keep;
        });
        const head = before["classifier.weight"];
        assert.deepEqual(
          after["classifier.weight"],
          previous.flatMap((r) => head.slice(r * 10, r * 10 + 10)),
        );
        assert.deepEqual(after["classifier.bias"], before["classifier.bias"]);
        disposeTree(params);
        disposeTree(slim);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("with distinct |gamma| and no guard, exactly floor(total * ratio) + 1 channels go", () => {
  fc.assert(
    fc.property(arbCfg(), fc.nat(), arbRatio, (cfg, seed, ratio) => {
      const params = randomParams(cfg, seed, "distinct");
      const { report, params: slim } = prune(params, ratio);
      if (report.guardedLayers.length === 0) {
        assert.equal(report.pruned, Math.floor(report.total * ratio) + 1);
      } else {
        assert.ok(report.pruned <= Math.floor(report.total * ratio) + 1);
      }
      disposeTree(params);
      disposeTree(slim);
    }),
    { numRuns: 80 },
  );
  // A fixed case (its assertion checks that no guard fired).
  const params = randomParams([12, "M", 12, "M", 12, "M", 12, "M"], 9, "distinct");
  const { report, params: slim } = prune(params, 0.25);
  assert.deepEqual(report.guardedLayers, []);
  assert.equal(report.pruned, 13);
  disposeTree(params);
  disposeTree(slim);
});

Deno.test("countParams and countFlops of the new cfg describe the pruned tree", () => {
  fc.assert(
    fc.property(arbCfg(), fc.nat(), arbGammaKind, arbRatio, (cfg, seed, kind, ratio) => {
      const params = randomParams(cfg, seed, kind);
      const { params: slim, cfg: newCfg, report } = prune(params, ratio);
      const size = trainableLeaves(slim).reduce((n, [, t]) => n + t.size, 0);
      assert.equal(countParams(newCfg), size);
      assert.equal(report.paramsAfter, size);
      assert.equal(
        report.paramsBefore,
        trainableLeaves(params).reduce((n, [, t]) => n + t.size, 0),
      );
      assert.equal(report.flopsBefore, countFlops(cfg));
      assert.equal(report.flopsAfter, countFlops(newCfg));
      assert.ok(report.flopsAfter <= report.flopsBefore);
      assert.deepEqual(report.cfgBefore, cfg);
      assert.deepEqual(report.cfg, newCfg);
      assert.equal(report.ratio, ratio);
      assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
      disposeTree(params);
      disposeTree(slim);
    }),
    { numRuns: 60 },
  );
});

Deno.test("a pruned model survives a safetensors round trip with its cfg and outputs", async () => {
  await fc.assert(
    fc.asyncProperty(arbCfg(), fc.nat(), arbGammaKind, arbRatio, async (cfg, seed, kind, ratio) => {
      const params = randomParams(cfg, seed, kind);
      const { params: slim, cfg: newCfg } = prune(params, ratio);
      const bytes = encodeSafetensors(await toStateDict(slim), checkpointMetadata(newCfg));
      const loaded = fromStateDict(decodeSafetensors(bytes), { expectedCfg: newCfg });
      assert.deepEqual(loaded.cfg, newCfg);
      assert.deepEqual(snapshot(loaded), snapshot(slim));
      const x = randomImages(1, seed);
      assert.deepEqual(evalLogits(loaded, x), evalLogits(slim, x));
      [params, slim, loaded].forEach(disposeTree);
      x.dispose();
    }),
    { numRuns: 15 },
  );
});

Deno.test("prune and maskParams leave no tensors behind and give independent trees", () => {
  const cfg: CfgItem[] = [4, "M", 6, "M", 3, "M", 5, "M"];
  const start = tf.memory().numTensors;
  const params = randomParams(cfg, 5, "ties");
  const x = randomImages(1, 5);
  const expectedSlim = (() => {
    const r = prune(params, 0.4);
    const v = evalLogits(r.params, x);
    disposeTree(r.params);
    return v;
  })();
  const withInput = tf.memory().numTensors;
  const result = prune(params, 0.4);
  const masked = maskParams(params, result.masks);
  assert.equal(tf.memory().numTensors, withInput + 2 * (4 * 5 + 2));
  const expectedMasked = evalLogits(masked, x);
  disposeTree(params); // the results must not depend on the input's tensors
  assert.deepEqual(evalLogits(result.params, x), expectedSlim);
  assert.deepEqual(evalLogits(masked, x), expectedMasked);
  disposeTree(result.params);
  disposeTree(masked);
  x.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("masks that do not fit or empty a layer are a UsageError", () => {
  const params = randomParams([2, "M", 3, "M", "M", "M"], 6, "distinct");
  const bad = [
    [[true, true]],
    [[true], [true, true, true]],
    [[true, true], [false, false, false]],
  ];
  for (const masks of bad) {
    assert.throws(() => pruneWithMasks(params, masks), UsageError);
  }
  assert.throws(() => maskParams(params, bad[1]), UsageError);
  assert.throws(() => prune(params, 0.9, { minChannels: 0 }), /no channels/);
  disposeTree(params);
});

Deno.test("equal gammas (a lambda = 0 model) pruned at 0.9: the guard fires on every layer", () => {
  const cfg: CfgItem[] = [6, "M", 1, "M", 4, 8, "M", 2, "M"];
  for (const minChannels of [1, 3]) {
    const params = randomParams(cfg, 1, "constant");
    const { report, params: slim, cfg: newCfg } = prune(params, 0.9, { minChannels });
    assert.equal(report.threshold, 0.5);
    assert.deepEqual(report.guardedLayers, [0, 1, 2, 3, 4]);
    assert.deepEqual(report.kept, [6, 1, 4, 8, 2].map((n) => Math.min(n, minChannels)));
    assert.deepEqual(convChannels(newCfg), report.kept);
    const x = randomImages(1, 1);
    assert.ok(evalLogits(slim, x).every(Number.isFinite));
    x.dispose();
    disposeTree(params);
    disposeTree(slim);
  }
});
