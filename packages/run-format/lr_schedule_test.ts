import assert from "node:assert/strict";
import fc from "fast-check";
import { learningRateAt, type LrSchedule, SCHEDULES } from "./lr_schedule.ts";

const at = (epoch: number, batch: number, epochs = 10, batchesPerEpoch = 100) => ({
  epoch,
  batch,
  epochs,
  batchesPerEpoch,
});

Deno.test("step schedule: lr/10 from 50% and lr/100 from 75% of the epochs, constant within an epoch", () => {
  const s: LrSchedule = { name: "step", lr: 0.1 };
  assert.equal(learningRateAt(s, at(0, 0)), 0.1);
  assert.equal(learningRateAt(s, at(4, 99)), 0.1);
  assert.ok(Math.abs(learningRateAt(s, at(5, 0)) - 0.01) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, at(7, 99)) - 0.01) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, at(8, 50)) - 0.001) < 1e-12);
  // 160 epochs, the paper's run: steps at 80 and 120.
  assert.equal(learningRateAt(s, at(79, 0, 160)), 0.1);
  assert.ok(Math.abs(learningRateAt(s, at(120, 0, 160)) - 0.001) < 1e-12);
});

Deno.test("onecycle: warms up from lr/10 to the peak, then anneals towards zero", () => {
  const s: LrSchedule = { name: "onecycle", lr: 0.2, warmup: 0.2 };
  assert.ok(Math.abs(learningRateAt(s, at(0, 0)) - 0.02) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, at(2, 0)) - 0.2) < 1e-12);
  assert.ok(learningRateAt(s, at(9, 99)) < 1e-4);
  assert.ok(learningRateAt(s, at(1, 0)) < learningRateAt(s, at(1, 50)));
});

Deno.test("cosine: starts at lr, half at the midpoint", () => {
  const s: LrSchedule = { name: "cosine", lr: 0.1 };
  assert.equal(learningRateAt(s, at(0, 0)), 0.1);
  assert.ok(Math.abs(learningRateAt(s, at(5, 0)) - 0.05) < 1e-12);
});

Deno.test("every schedule stays in (0, lr] over the run (property)", () => {
  fc.assert(fc.property(
    fc.constantFrom(...SCHEDULES),
    fc.double({ min: 1e-4, max: 1, noNaN: true }),
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 1, max: 1000 }),
    fc.double({ min: 0, max: 0.99, noNaN: true }),
    (name, lr, epochs, batches, where) => {
      const step = Math.floor(where * epochs * batches);
      const value = learningRateAt(
        { name, lr },
        at(Math.floor(step / batches), step % batches, epochs, batches),
      );
      return value > 0 && value <= lr * (1 + 1e-12);
    },
  ));
});
