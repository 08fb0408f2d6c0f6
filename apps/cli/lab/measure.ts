/**
 * What the lab measures before it plans: training and evaluation throughput of the model it
 * will train, on this backend and machine, from a few dozen steps that are not counted as
 * training (a fresh model, thrown away afterwards).
 *
 * @module
 */
import { augmentRng, batchesOf, epochOrder } from "@slimming/cifar";
import type { MeasuredSpeed } from "@slimming/run-format";
import { architecture, type ModelParams } from "@slimming/architectures";
import { disposeState, evaluate, stepOnBatch, type TrainState } from "@slimming/train";
import type { LabContext } from "./context.ts";

/** Steps run before timing (the first ones fill buffer pools and caches). */
const WARMUP_STEPS = 8;
/** Steps timed: at least this many, and for at least `TIMED_SECONDS` (step times vary by ±30%). */
const TIMED_STEPS = 40;
const TIMED_SECONDS = 5;
/** Test images timed in evaluation (after one untimed batch). */
const EVAL_IMAGES = 1000;

/**
 * Measures training and evaluation images/s of the lab's model (see the module doc), or of
 * `model` (consumed: its tensors are disposed) for at least `seconds` of timed steps.
 */
export async function measureSpeed(
  ctx: LabContext,
  model?: ModelParams,
  seconds = TIMED_SECONDS,
): Promise<MeasuredSpeed> {
  const { options, data } = ctx;
  let state: TrainState = {
    params: model ?? architecture(ctx.spec.arch).init(ctx.spec, {
      seed: options.seed,
      numClasses: data.spec.classCount,
    }),
    buffers: null,
  };
  // Another seed than the trainings', so the measured batches are not their first ones.
  const seed = options.seed + 1000;
  const batches = batchesOf(epochOrder(data.train.count, seed, 0), options.batchSize);
  let timedImages = 0;
  let start = performance.now();
  for (let step = 0;; step++) {
    if (step === WARMUP_STEPS) {
      start = performance.now();
      timedImages = 0;
    }
    const timed = step - WARMUP_STEPS;
    if (timed >= TIMED_STEPS && (performance.now() - start) / 1000 >= seconds) break;
    const b = step % batches.length;
    const indices = batches[b];
    ({ state } = await stepOnBatch(state, data.train, indices, augmentRng(seed, 0, b), {
      lr: 0.01,
      momentum: options.recipe.momentum,
      nesterov: options.recipe.nesterov,
      weightDecay: options.recipe.weightDecay,
      lambda: 0,
    }, options.recipe.labelSmoothing));
    timedImages += indices.length;
  }
  const trainImagesPerSecond = timedImages / ((performance.now() - start) / 1000);
  const testSample = { ...data.test, count: Math.min(EVAL_IMAGES, data.test.count) };
  await evaluate(state.params, { ...testSample, count: Math.min(500, testSample.count) });
  const evalStart = performance.now();
  await evaluate(state.params, testSample);
  const evalImagesPerSecond = testSample.count / ((performance.now() - evalStart) / 1000);
  disposeState(state);
  return {
    trainImagesPerSecond,
    evalImagesPerSecond,
    backend: ctx.backend.description,
  };
}
