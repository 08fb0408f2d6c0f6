import assert from "node:assert/strict";
import fc from "fast-check";
import { annealedRate } from "./epoch.ts";
import { epochFinish } from "./training.ts";

const COST = { trainSecondsPerImage: 0.001, evalSeconds: 2 }; // 50 s train + 2 s eval an epoch
const AT = { epoch: 3, epochs: 7, images: 50_000, batchSize: 64, lr: 0.08 };

Deno.test("epochFinish: runs as planned while the rest fits, or another epoch's time is left", () => {
  assert.equal(epochFinish(COST, 4 * 52, AT), undefined, "the rest fits exactly");
  assert.equal(epochFinish(COST, 2 * 52 + 1, AT), undefined, "late, but a later epoch can anneal");
  assert.equal(epochFinish(undefined, 10, AT), undefined, "nothing measured yet");
  assert.equal(epochFinish(COST, 10, { ...AT, epoch: 6 }), undefined, "the last epoch anneals");
});

Deno.test("epochFinish: a late run's epoch anneals from where the schedule stands, on what fits", () => {
  assert.deepEqual(epochFinish(COST, 60, AT), { images: 50_000, fromLr: 0.08 });
  assert.deepEqual(epochFinish(COST, 32, AT), { images: 30_000, fromLr: 0.08 });
  assert.deepEqual(epochFinish(COST, 1, AT), { images: 64, fromLr: 0.08 }, "one batch at least");
});

Deno.test("epochFinish: the annealing epoch fits the time left (when a batch does)", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 1e-5, max: 0.01, noNaN: true }),
      fc.double({ min: 0, max: 30, noNaN: true }),
      fc.double({ min: 0, max: 2000, noNaN: true }),
      fc.integer({ min: 0, max: 9 }),
      (perImage, evalSeconds, left, epoch) => {
        const cost = { trainSecondsPerImage: perImage, evalSeconds };
        const at = { ...AT, epoch, epochs: 10 };
        const finish = epochFinish(cost, left, at);
        if (finish === undefined) return;
        assert.ok(epoch < 9);
        assert.ok(finish.images >= at.batchSize && finish.images <= at.images);
        if (finish.images > at.batchSize) {
          assert.ok(finish.images * perImage + evalSeconds <= left + 1e-9);
        }
      },
    ),
  );
});

Deno.test("annealedRate: from the schedule's rate down to (almost) zero along a half cosine", () => {
  assert.equal(annealedRate(0.08, 0, 100), 0.08);
  assert.ok(Math.abs(annealedRate(0.08, 50, 100) - 0.04) < 1e-12);
  assert.ok(annealedRate(0.08, 99, 100) < 0.0001);
  for (let b = 1; b < 100; b++) {
    assert.ok(annealedRate(0.08, b, 100) < annealedRate(0.08, b - 1, 100));
  }
});
