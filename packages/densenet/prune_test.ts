import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { disposeTree, UsageError } from "@slimming/tensor-utils";
import {
  countDensenetFlops,
  countDensenetParams,
  type DensenetParams,
  forward,
  selectedBns,
  trainableLeaves,
} from "./mod.ts";
import { arbFullSpec, arbGammaKind, maxAbsDiff, randomDensenet, randomImages } from "./testing.ts";
import { densenetAbsGammas, maskDensenet, pruneDensenet, slimDensenet } from "./prune.ts";

await tf.setBackend("cpu");

const arbRatio = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

function logitsOf(p: DensenetParams, x: tf.Tensor4D, training = false): Float32Array {
  return tf.tidy(() => {
    const out = forward(p, x, { training });
    for (const s of out.runningStats ?? []) tf.dispose([s.runningMean, s.runningVar]);
    return out.logits.dataSync() as Float32Array;
  });
}

/** denseprune.py's kept counts, computed independently: sort, index, strict comparison. */
function referenceKept(abs: readonly Float32Array[], ratio: number): number[] {
  const all = Float32Array.from(abs.flatMap((a) => Array.from(a))).sort();
  const threshold = all[Math.floor(all.length * ratio)];
  return abs.map((a) => a.filter((v) => v > threshold).length);
}

Deno.test("pruneDensenet: slim == masked logits, params == formula, no layer emptied", () => {
  const before = tf.memory().numTensors;
  fc.assert(
    fc.property(
      arbFullSpec,
      arbGammaKind,
      arbRatio,
      fc.integer({ min: 0, max: 999 }),
      fc.boolean(),
      (spec, kind, ratio, seed, training) => {
        const params = randomDensenet(spec, seed, kind);
        const x = randomImages(2, seed);
        const abs = densenetAbsGammas(params);
        const result = pruneDensenet(params, ratio);
        const masked = maskDensenet(params, result.masks);
        const scale = Math.max(1, ...Array.from(logitsOf(masked, x, training), Math.abs));
        const diff = maxAbsDiff(
          logitsOf(result.params, x, training),
          logitsOf(masked, x, training),
        );
        assert.ok(diff < 1e-4 * scale, `slim vs masked: ${diff}`);
        const { cfg } = result;
        assert.ok(cfg.every((v) => v >= 1), `emptied: ${cfg}`);
        const pruned = { depth: spec.depth, growthRate: spec.growthRate, cfg };
        const size = trainableLeaves(result.params).reduce((s, [, t]) => s + t.size, 0);
        assert.equal(size, countDensenetParams(pruned));
        assert.equal(result.report.paramsAfter, size);
        assert.equal(result.report.flopsAfter, countDensenetFlops(pruned));
        // Without the guard firing, the kept counts are the reference's threshold counts.
        const reference = referenceKept(abs, ratio);
        cfg.forEach((k, i) => {
          if (result.report.guardedLayers.includes(i)) assert.equal(reference[i], 0);
          else assert.equal(k, reference[i]);
        });
        disposeTree([params, result.params, masked]);
        x.dispose();
      },
    ),
    { numRuns: 25 },
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("pruneDensenet: what the slim model keeps (denseprune.py's copy)", () => {
  const spec = { depth: 10, growthRate: 3, cfg: [6, 9, 12, 12, 15, 18, 18, 21, 24] };
  const params = randomDensenet(spec, 8, "distinct", 4);
  const result = pruneDensenet(params, 0.5);
  const slim = result.params;
  const before = selectedBns(params);
  selectedBns(slim).forEach((u, i) => {
    const mask = result.masks[i];
    assert.deepEqual(u.selected, mask.flatMap((k, c) => (k ? [c] : [])));
    assert.equal(u.bn.gamma.shape[0], spec.cfg[i]); // BN keeps its full width
    const g = u.bn.gamma.dataSync();
    const g0 = before[i].bn.gamma.dataSync();
    mask.forEach((k, c) => assert.equal(g[c], k ? g0[c] : 0));
    assert.deepEqual(u.bn.runningVar.dataSync(), before[i].bn.runningVar.dataSync());
  });
  // dense2.1's conv keeps the selected input rows, all g outputs.
  const w = slim.dense[1][1].conv.weight;
  assert.deepEqual(w.shape, [3, 3, result.cfg[4], 3]);
  const expected = tf.tidy(() =>
    tf.gather(params.dense[1][1].conv.weight, slim.dense[1][1].selected as number[], 2)
  );
  assert.deepEqual(w.dataSync(), expected.dataSync());
  assert.deepEqual(slim.trans[0].conv.weight.shape, [1, 1, result.cfg[2], 12]);
  assert.deepEqual(slim.fc.weight.shape, [result.cfg[8], 4]);
  assert.deepEqual(slim.conv1.weight.dataSync(), params.conv1.weight.dataSync());
  const r = result.report;
  assert.equal(r.total, 135);
  assert.equal(r.pruned, 135 - result.cfg.reduce((a, b) => a + b, 0));
  assert.equal(r.pruned, Math.floor(135 * 0.5) + 1); // distinct gammas, no guard
  assert.deepEqual(r.channelsBefore, spec.cfg);
  assert.deepEqual(r.cfgBefore, spec.cfg);
  assert.deepEqual(r.kept, result.cfg);
  assert.equal(r.paramsBefore, countDensenetParams(spec, 4));
  assert.ok(r.paramsAfter < r.paramsBefore && r.flopsAfter < r.flopsBefore);
  disposeTree([params, slim, expected]);
});

Deno.test("pruneDensenet twice: ranks the selected channels only, narrows selections", () => {
  const spec = { depth: 10, growthRate: 4, cfg: [8, 12, 16, 16, 20, 24, 24, 28, 32] };
  const params = randomDensenet(spec, 2);
  const first = pruneDensenet(params, 0.3);
  const second = pruneDensenet(first.params, 0.3);
  assert.equal(second.report.total, first.cfg.reduce((a, b) => a + b, 0));
  assert.equal(second.report.pruned, Math.floor(second.report.total * 0.3) + 1);
  selectedBns(second.params).forEach((u, i) => {
    const was = new Set(selectedBns(first.params)[i].selected);
    assert.ok(u.selected.every((c) => was.has(c)));
  });
  const x = randomImages(2, 1);
  const masked = maskDensenet(first.params, second.masks);
  assert.ok(maxAbsDiff(logitsOf(second.params, x), logitsOf(masked, x)) < 1e-4);
  disposeTree([params, first.params, second.params, masked]);
  x.dispose();
});

Deno.test("pruneDensenet: the guard, bad ratios and bad masks are one-line UsageErrors", () => {
  const spec = { depth: 7, growthRate: 2, cfg: [4, 6, 6, 8, 8, 10] };
  const params = randomDensenet(spec, 1, "ties");
  const noGuard = () => pruneDensenet(params, 0.999, { minChannels: 0 });
  assert.throws(
    noGuard,
    (e: unknown) => e instanceof UsageError && /with no channels/.test(e.message),
  );
  const guarded = pruneDensenet(params, 0.999);
  assert.ok(guarded.cfg.every((v) => v === 1));
  assert.ok(guarded.report.guardedLayers.length > 0);
  for (const bad of [1, -0.1, NaN]) {
    assert.throws(() => pruneDensenet(params, bad), UsageError);
  }
  const masks = selectedBns(params).map((u) => new Array<boolean>(u.bn.gamma.shape[0]).fill(true));
  assert.throws(() => slimDensenet(params, masks.slice(1)), /5 masks for 6 BN layers/);
  assert.throws(() => maskDensenet(params, [[true], ...masks.slice(1)]), /mask 0 has 1 entries/);
  const narrowed = slimDensenet(guarded.params, guarded.masks);
  assert.throws(() => slimDensenet(guarded.params, masks), /keeps channel \d+, which the model/);
  disposeTree([params, guarded.params, narrowed]);
});
