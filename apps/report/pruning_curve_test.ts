import assert from "node:assert/strict";
import fc from "fast-check";
import {
  curveAccuracy,
  curveFindings,
  KNEE_DROP,
  kneeOf,
  kneeWords,
  tabulatedRatios,
} from "./pruning_curve.ts";
import type { LabData, SweepPoint, SweepSummary } from "./lab_types.ts";

function point(ratio: number, slim: number, recalibrated?: number): SweepPoint {
  return {
    ratio,
    threshold: ratio / 10,
    kept: [1],
    guardedLayers: [],
    paramsAfter: 1,
    flopsAfter: 1,
    slimTestAcc: slim,
    ...(recalibrated === undefined ? {} : { recalibratedTestAcc: recalibrated }),
    imagesPerSecond: 1,
  };
}

Deno.test("kneeOf: the last ratio within KNEE_DROP points and the first below (property)", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 20, max: 95, noNaN: true }),
      fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 }),
      (before, accuracies) => {
        const points = accuracies.map((a, i) => point((i + 1) / 20, a - 5, a));
        const knee = kneeOf({ testAccBefore: before, points: [...points].reverse() });
        const holds = (p: SweepPoint) => curveAccuracy(p) >= before - KNEE_DROP;
        const first = points.findIndex((p) => !holds(p));
        if (first < 0) {
          assert.equal(knee.fallsAt, undefined);
          assert.equal(knee.holdsTo, points.at(-1)!.ratio);
        } else {
          assert.equal(knee.fallsAt, points[first].ratio);
          assert.equal(knee.fallsTo, curveAccuracy(points[first]));
          assert.equal(knee.holdsTo, first === 0 ? undefined : points[first - 1].ratio);
          assert.ok(points.slice(0, first).every(holds));
        }
      },
    ),
  );
});

Deno.test("curveAccuracy: recalibrated when measured, else slim", () => {
  assert.equal(curveAccuracy(point(0.5, 40, 70)), 70);
  assert.equal(curveAccuracy(point(0.5, 40)), 40);
});

Deno.test("kneeWords says where a curve holds and falls", () => {
  const summary = {
    testAccBefore: 80,
    points: [point(0.1, 79, 79.5), point(0.2, 70, 78.5), point(0.3, 20, 60.25)],
  };
  assert.equal(kneeWords(kneeOf(summary)), "holds to 20% (falls to 60.25% at 30%)");
  assert.equal(
    kneeWords(kneeOf({ testAccBefore: 80, points: [point(0.1, 10, 50)] })),
    "falls to 50.00% at 10%, the first ratio swept",
  );
  assert.equal(
    kneeWords(kneeOf({ testAccBefore: 80, points: [point(0.1, 10, 80)] })),
    "holds at every ratio swept (to 10%)",
  );
});

Deno.test("tabulatedRatios: 30/50/70/90% where swept, else five spread out", () => {
  const sweep = (ratios: number[]) =>
    ({ points: ratios.map((r) => point(r, 1)) }) as unknown as SweepSummary;
  assert.deepEqual(
    tabulatedRatios([sweep([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])]),
    [0.3, 0.5, 0.7, 0.9],
  );
  assert.deepEqual(tabulatedRatios([sweep([0.25, 0.45])]), [0.25, 0.45]);
  assert.deepEqual(
    tabulatedRatios([sweep([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85])]),
    [0.05, 0.25, 0.45, 0.65, 0.85],
  );
});

function sweepOf(before: number, accuracies: number[]): SweepSummary {
  return {
    checkpoint: "x",
    layerNames: ["conv1"],
    channelsBefore: [10],
    minChannels: 1,
    roundTo: 1,
    recalibrationImages: 2000,
    recalibrationAugmented: true,
    testImages: 5000,
    paramsBefore: 10,
    flopsBefore: 10,
    testAccBefore: before,
    imagesPerSecondBefore: 1,
    points: accuracies.map((a, i) => point((i + 1) / 10, a - 10, a)),
    seconds: 1,
  };
}

function labWith(sweeps: [number, SweepSummary][]): LabData {
  return {
    runsDir: "/runs",
    info: { stages: [], events: [], lambdas: sweeps.map(([l]) => l), ratios: [] },
    sparsity: [],
    prunes: [],
    finetunes: [],
    sweeps: sweeps.map(([lambda, summary]) => ({ lambda, summary })),
    pruneLambda: Math.max(...sweeps.map(([l]) => l)),
    events: [],
  };
}

Deno.test("curveFindings: each knee, and whether λ moved it", () => {
  const moved = curveFindings(labWith([
    [0, sweepOf(80, [79, 70, 50])],
    [1e-4, sweepOf(78, [78, 77.5, 77])],
  ]));
  assert.equal(moved.length, 2);
  assert.match(moved[0], /λ = 0 \(unpruned 80\.00%\) holds to 10% \(falls to 70\.00% at 20%\)/);
  assert.match(moved[0], /λ = 1e-4 \(unpruned 78\.00%\) holds at every ratio swept \(to 30%\)/);
  assert.match(moved[1], /^The sparsity training moved the knee: λ = 0's curve holds to 10%/);

  const notMoved = curveFindings(labWith([
    [0, sweepOf(80, [79, 79, 60])],
    [1e-4, sweepOf(78, [60, 50, 40])],
  ]));
  assert.match(notMoved[1], /^The λ = 0 curve does not fall earlier than λ = 1e-4's/);
  assert.match(notMoved[1], /λ = 1e-4's falls from the first ratio swept \(10%\)/);
  assert.match(notMoved[1], /a finding about the recipe/);

  assert.deepEqual(curveFindings(labWith([])), []);
});
