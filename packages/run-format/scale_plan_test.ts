import assert from "node:assert/strict";
import fc from "fast-check";
import { lrSum, scheduleOf } from "./lr_schedule.ts";
import { labPlan, stageBudget } from "./plan.ts";
import {
  isRefusal,
  type MeasuredSpeed,
  PLAN_MARGIN,
  planFinetunes,
  planScale,
  type ScaleKnob,
  type ScalePlan,
  type ScaleRequest,
  sweepSeconds,
} from "./scale_plan.ts";
import type { TrainingRecipe } from "./records.ts";

const RECIPE: TrainingRecipe = {
  schedule: "onecycle",
  lr: 0.1,
  finetuneLr: 0.05,
  warmup: 0.15,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  recalibrate: 2000,
  recalibrateAugment: true,
};

const REQUEST: ScaleRequest = {
  lambdas: [0, 1e-4, 8e-4],
  ratios: [0.5, 0.9],
  epochs: 7,
  finetuneEpochs: 3,
  batchSize: 64,
  trainImages: 50_000,
  testImages: 10_000,
  recipe: RECIPE,
  policy: {
    order: ["images", "epochs", "finetune"],
    minImagesPerEpoch: 20_000,
    minEpochs: 4,
    minFinetuneImagesPerEpoch: 10_000,
  },
};

const speed = (train: number, evaluation = train * 5): MeasuredSpeed => ({
  trainImagesPerSecond: train,
  evalImagesPerSecond: evaluation,
  backend: "test",
});

const asPlan = (answer: ReturnType<typeof planScale>): ScalePlan => {
  if (isRefusal(answer)) throw new Error(`refused: ${answer.reason}`);
  return answer;
};

const arbitraryRequest = fc.record({
  order: fc.shuffledSubarray<ScaleKnob>(["images", "epochs", "finetune"], {
    minLength: 0,
    maxLength: 3,
  }),
  epochs: fc.integer({ min: 1, max: 12 }),
  finetuneEpochs: fc.integer({ min: 1, max: 5 }),
  batchSize: fc.constantFrom(32, 64, 128),
  trainImages: fc.integer({ min: 500, max: 60_000 }),
  testImages: fc.integer({ min: 100, max: 10_000 }),
  minImagesPerEpoch: fc.integer({ min: 100, max: 60_000 }),
  minEpochs: fc.integer({ min: 1, max: 12 }),
  minFinetuneImagesPerEpoch: fc.integer({ min: 100, max: 60_000 }),
  lambdas: fc.array(fc.constantFrom(0, 1e-5, 1e-4, 8e-4, 2e-3), { minLength: 1, maxLength: 3 }),
  sweep: fc.option(
    fc.record({
      ratios: fc.array(fc.double({ min: 0, max: 0.95, noNaN: true }), { maxLength: 19 }),
      testImages: fc.integer({ min: 100, max: 10_000 }),
    }),
    { nil: undefined },
  ),
}).map((r): ScaleRequest => ({
  ...REQUEST,
  ...(r.sweep ? { sweep: r.sweep } : {}),
  lambdas: r.lambdas,
  epochs: r.epochs,
  finetuneEpochs: r.finetuneEpochs,
  batchSize: r.batchSize,
  trainImages: r.trainImages,
  testImages: r.testImages,
  policy: {
    order: r.order,
    minImagesPerEpoch: r.minImagesPerEpoch,
    minEpochs: r.minEpochs,
    minFinetuneImagesPerEpoch: r.minFinetuneImagesPerEpoch,
  },
}));

const arbitrarySpeed = fc.record({
  train: fc.double({ min: 20, max: 5000, noNaN: true }),
  evalFactor: fc.double({ min: 1, max: 20, noNaN: true }),
}).map(({ train, evalFactor }) => speed(train, train * evalFactor));

Deno.test("planScale: a plan fits its budget with the margin, within the policy's floors", () => {
  fc.assert(
    fc.property(
      arbitrarySpeed,
      arbitraryRequest,
      fc.integer({ min: 60, max: 7200 }),
      fc.integer({ min: 0, max: 60 }),
      (measured, request, budget, elapsed) => {
        const answer = planScale(measured, budget, elapsed, request);
        if (isRefusal(answer)) {
          assert.ok(answer.neededSeconds > budget * (1 - PLAN_MARGIN) - 1);
          return;
        }
        assert.ok(answer.estimate.total <= budget * (1 - PLAN_MARGIN) + 1e-6);
        // Whole epochs, whole batches, never more than the profile, never under a floor
        // that is not itself over the profile's size.
        assert.ok(Number.isInteger(answer.epochs) && answer.epochs >= 1);
        assert.ok(answer.epochs <= request.epochs);
        assert.ok(answer.imagesPerEpoch <= request.trainImages);
        assert.ok(answer.finetuneImagesPerEpoch <= request.trainImages);
        const floor = Math.min(request.policy.minImagesPerEpoch, request.trainImages);
        assert.ok(answer.imagesPerEpoch >= Math.min(floor, request.trainImages) - 1000);
        assert.ok(answer.epochs >= Math.min(request.policy.minEpochs, request.epochs));
        assert.equal(answer.finetuneEpochs, request.finetuneEpochs);
        // Only the knobs of the policy move.
        if (!request.policy.order.includes("epochs")) assert.equal(answer.epochs, request.epochs);
        if (!request.policy.order.includes("images")) {
          assert.equal(answer.imagesPerEpoch, request.trainImages);
        }
      },
    ),
  );
});

Deno.test("planScale: λ·Σlr of every planned run is the profile's (to λ's 3 digits)", () => {
  fc.assert(
    fc.property(arbitrarySpeed, arbitraryRequest, (measured, request) => {
      const answer = planScale(measured, 1200, 10, request);
      if (isRefusal(answer)) return;
      const schedule = scheduleOf({ lr: RECIPE.lr, schedule: "onecycle", warmup: RECIPE.warmup });
      const batches = (images: number) => Math.ceil(images / request.batchSize);
      const profileSum = lrSum(schedule, request.epochs, batches(request.trainImages));
      const planSum = lrSum(schedule, answer.epochs, batches(answer.imagesPerEpoch));
      assert.ok(Math.abs(answer.lrSum - planSum) < 1e-6 * planSum);
      for (const [i, lambda] of request.lambdas.entries()) {
        const wanted = lambda * profileSum;
        assert.ok(Math.abs(answer.sparsityStrengths[i] - wanted) <= 1e-9 * (1 + wanted));
        const kept = answer.lambdas[i] * planSum;
        assert.ok(Math.abs(kept - wanted) <= 0.005 * wanted, `${kept} vs ${wanted}`);
        assert.ok(Math.abs(answer.plannedStrengths[i] - kept) <= 1e-9 * (1 + kept));
      }
    }),
  );
});

Deno.test("planScale: each stage's share of the budget holds its estimate when the stages before kept theirs", () => {
  fc.assert(
    fc.property(arbitrarySpeed, fc.integer({ min: 300, max: 3600 }), (measured, budget) => {
      const answer = planScale(measured, budget, 12, REQUEST);
      if (isRefusal(answer)) return;
      const plan = labPlan({
        lambdas: answer.lambdas,
        pruneLambda: answer.lambdas[2],
        ratios: REQUEST.ratios,
        epochs: answer.epochs,
        finetuneEpochs: answer.finetuneEpochs,
        recalibrate: RECIPE.recalibrate,
        estimate: answer.estimate,
      });
      let left = budget - answer.elapsedSeconds;
      for (const [index, stage] of plan.entries()) {
        const allowed = stageBudget(plan, index, left)!;
        assert.ok(allowed >= stage.weight - 1e-6, `${stage.name}: ${allowed} < ${stage.weight}`);
        left -= stage.weight;
      }
      // Weighed at their floor, the fine-tunes leave each sparsity training more time still.
      const floors = answer.estimate.finetuneFloor!;
      assert.ok(floors.every((f, i) => f <= answer.estimate.finetune[i] + 1e-9));
      const lean = labPlan({
        lambdas: answer.lambdas,
        pruneLambda: answer.lambdas[2],
        ratios: REQUEST.ratios,
        epochs: answer.epochs,
        finetuneEpochs: answer.finetuneEpochs,
        estimate: { ...answer.estimate, finetune: floors },
      });
      const whole = budget - answer.elapsedSeconds;
      assert.ok(stageBudget(lean, 0, whole)! >= stageBudget(plan, 0, whole)! - 1e-9);
    }),
  );
});

Deno.test("planScale: the sweeps are in the estimate, one a λ, and take their stage's share", () => {
  const sweep = { ratios: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], testImages: 5000 };
  const measured = speed(700, 4400);
  const without = asPlan(planScale(measured, 3600, 10, REQUEST));
  const withSweep = asPlan(planScale(measured, 3600, 10, { ...REQUEST, sweep }));
  const one = sweepSeconds({ sweep, recipe: RECIPE }, 4400);
  assert.ok(one > 0);
  assert.equal(withSweep.estimate.sweep, one);
  assert.ok(
    Math.abs(withSweep.estimate.total - without.estimate.total - REQUEST.lambdas.length * one) <
      1e-6,
  );
  // More ratios or more test images, a longer sweep; none without a sweep.
  assert.ok(sweepSeconds({ sweep: { ...sweep, testImages: 10_000 }, recipe: RECIPE }, 4400) > one);
  assert.ok(sweepSeconds({ sweep: { ...sweep, ratios: [0.5] }, recipe: RECIPE }, 4400) < one);
  assert.equal(sweepSeconds({ recipe: RECIPE }, 4400), 0);
  // A budget that fits without the sweeps but not with them gives way.
  const tight = without.estimate.total / (1 - PLAN_MARGIN) + 1;
  const squeezed = asPlan(planScale(measured, tight, 10, { ...REQUEST, sweep }));
  assert.ok(squeezed.estimate.total <= tight * (1 - PLAN_MARGIN));
  assert.ok(squeezed.gaveWay.length > 0);
  // The sweep stages come after the trainings, one a λ, weighed at their estimate.
  const plan = labPlan({
    lambdas: withSweep.lambdas,
    pruneLambda: withSweep.lambdas[2],
    ratios: REQUEST.ratios,
    epochs: withSweep.epochs,
    finetuneEpochs: withSweep.finetuneEpochs,
    sweep,
    estimate: withSweep.estimate,
  });
  assert.deepEqual(plan.map((s) => s.kind), [
    "train",
    "train",
    "train",
    "sweep",
    "sweep",
    "sweep",
    "prune",
    "prune",
    "finetune",
    "finetune",
  ]);
  for (const [i, stage] of plan.filter((s) => s.kind === "sweep").entries()) {
    assert.equal(stage.weight, one);
    assert.equal(stage.value, withSweep.lambdas[i]);
    assert.equal(stage.source, `${plan[i].dir}/best.safetensors`);
  }
});

Deno.test("planScale: a fast machine runs the profile as written, λ exactly the profile's", () => {
  const plan = asPlan(planScale(speed(5000, 30000), 1200, 10, REQUEST));
  assert.deepEqual(plan.gaveWay, []);
  assert.equal(plan.imagesPerEpoch, 50_000);
  assert.equal(plan.epochs, 7);
  assert.equal(plan.finetuneImagesPerEpoch, 50_000);
  assert.deepEqual(plan.lambdas, [0, 1e-4, 8e-4]);
  assert.match(plan.reason, /measured 5,000 img\/s training.*the profile as written fits/);
});

Deno.test("planScale: knobs give way in the policy's order, each to its floor first", () => {
  // Images give way first: a little too slow keeps 7 epochs over fewer images.
  const slightly = asPlan(planScale(speed(700, 3500), 1200, 10, REQUEST));
  assert.deepEqual(slightly.gaveWay.slice(0, 1), ["images"]);
  if (slightly.gaveWay.length === 1) {
    assert.equal(slightly.epochs, 7);
    assert.ok(slightly.imagesPerEpoch < 50_000 && slightly.imagesPerEpoch >= 20_000);
  } else assert.equal(slightly.imagesPerEpoch, 20_000);
  assert.ok(slightly.lambdas[2] > 8e-4, "fewer steps: a larger λ keeps λ·Σlr");
  assert.match(slightly.reason, /of 50,000 images an epoch/);
  // The other order: epochs first.
  const epochsFirst = asPlan(
    planScale(speed(700, 3500), 1200, 10, {
      ...REQUEST,
      policy: { ...REQUEST.policy, order: ["epochs", "images", "finetune"] },
    }),
  );
  assert.equal(epochsFirst.gaveWay[0], "epochs");
  if (epochsFirst.gaveWay.length === 1) assert.equal(epochsFirst.imagesPerEpoch, 50_000);
});

Deno.test("planScale: a faster machine never gets a smaller lab", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 50, max: 3000, noNaN: true }),
      fc.double({ min: 1, max: 3, noNaN: true }),
      (train, faster) => {
        const slow = planScale(speed(train), 1200, 10, REQUEST);
        const fast = planScale(speed(train * faster), 1200, 10, REQUEST);
        if (isRefusal(fast)) {
          assert.ok(isRefusal(slow));
          return;
        }
        if (isRefusal(slow)) return;
        assert.ok(fast.epochs * fast.imagesPerEpoch >= slow.epochs * slow.imagesPerEpoch);
        assert.ok(fast.finetuneImagesPerEpoch >= slow.finetuneImagesPerEpoch);
      },
    ),
  );
});

Deno.test("planScale: too slow a machine is refused before anything runs, with the time it needs", () => {
  const answer = planScale(speed(40, 200), 1200, 10, REQUEST);
  assert.ok(isRefusal(answer));
  assert.ok(answer.neededSeconds > 1200);
  assert.match(answer.reason, /needs about \d+:\d\d, over the 20:00 budget/);
  // With the time it named, it plans.
  assert.ok(!isRefusal(planScale(speed(40, 200), answer.neededSeconds + 1, 10, REQUEST)));
});

Deno.test("planFinetunes: the fine-tunes and the report fit the time left; more time, more images", () => {
  fc.assert(
    fc.property(
      fc.array(arbitrarySpeed, { minLength: 1, maxLength: 3 }),
      fc.double({ min: 60, max: 3000, noNaN: true }),
      fc.double({ min: 1, max: 3, noNaN: true }),
      (measured, left, more) => {
        const request = {
          finetuneEpochs: 3,
          batchSize: 64,
          trainImages: 50_000,
          testImages: 10_000,
          plannedImagesPerEpoch: 20_000,
          budgetSeconds: 1200,
        };
        const plan = planFinetunes(measured, left, request);
        assert.ok(plan.imagesPerEpoch >= 64 && plan.imagesPerEpoch <= 50_000);
        assert.equal(plan.estimate.length, measured.length);
        const total = plan.estimate.reduce((a, b) => a + b, 0);
        if (plan.imagesPerEpoch > 64) {
          assert.ok(total + 25 <= left - PLAN_MARGIN * 1200 + 1e-6, `${total} of ${left}`);
        }
        const later = planFinetunes(measured, left * more, request);
        assert.ok(later.imagesPerEpoch >= plan.imagesPerEpoch);
        // Allowed to grow, the fine-tunes take more epochs only once every image fits, and
        // still fit the time left.
        const growing = planFinetunes(measured, left * more, { ...request, maxEpochs: 6 });
        assert.equal(growing.imagesPerEpoch, later.imagesPerEpoch);
        const epochs = growing.epochs ?? 3;
        assert.ok(epochs >= 3 && epochs <= 6);
        if (epochs > 3) {
          assert.equal(growing.imagesPerEpoch, 50_000);
          const spent = growing.estimate.reduce((a, b) => a + b, 0);
          assert.ok(spent + 25 <= left * more - PLAN_MARGIN * 1200 + 1e-6);
          assert.ok(spent >= later.estimate.reduce((a, b) => a + b, 0));
        }
        assert.equal(later.epochs, 3);
      },
    ),
  );
  const fast = planFinetunes([speed(2000, 20000), speed(3000, 30000)], 600, {
    finetuneEpochs: 3,
    batchSize: 64,
    trainImages: 50_000,
    testImages: 10_000,
    plannedImagesPerEpoch: 21_000,
    budgetSeconds: 1200,
  });
  assert.equal(fast.imagesPerEpoch, 50_000);
  assert.match(fast.reason, /trained at 2,000 and 3,000 img\/s: fine-tunes on 50,000 images/);
  // 600 s left, 3 epochs of both take ~140 s: grown to the most allowed that fits.
  const grown = planFinetunes([speed(2000, 20000), speed(3000, 30000)], 600, {
    finetuneEpochs: 3,
    batchSize: 64,
    trainImages: 50_000,
    testImages: 10_000,
    plannedImagesPerEpoch: 21_000,
    budgetSeconds: 1200,
    maxEpochs: 6,
  });
  assert.equal(grown.epochs, 6);
  assert.match(
    grown.reason,
    /50,000 images an epoch for 6 epochs, not 3, as every image fitted \(planned/,
  );
});
