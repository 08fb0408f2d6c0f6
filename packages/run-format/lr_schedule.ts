/**
 * Learning-rate schedules: the paper's step schedule (lr/10 at 50% and 75% of the epochs,
 * changed between epochs) and two per-batch schedules for short budgets, cosine annealing
 * and one-cycle (linear warm-up to the peak, then cosine to zero).
 *
 * @module
 */

/** Names accepted by `--schedule`. */
export const SCHEDULES = ["step", "cosine", "onecycle"] as const;

/** One of {@linkcode SCHEDULES}. */
export type ScheduleName = typeof SCHEDULES[number];

/** A schedule with its settings, as recorded in `config.json`. */
export interface LrSchedule {
  readonly name: ScheduleName;
  /** The initial learning rate (step, cosine) or the peak one (onecycle). */
  readonly lr: number;
  /** onecycle: share of all steps spent warming up from lr/10 to lr (default 0.15). */
  readonly warmup?: number;
}

/** Epochs (0-based) from which the step schedule divides by 10: at 50% and 75% of the run. */
export function lrSteps(epochs: number): number[] {
  return [Math.ceil(epochs * 0.5), Math.ceil(epochs * 0.75)];
}

/** The schedule a run's config.json describes (runs written before schedules: "step"). */
export function scheduleOf(
  config: { lr: number; schedule?: ScheduleName; warmup?: number },
): LrSchedule {
  const name = config.schedule ?? "step";
  return name === "onecycle"
    ? { name, lr: config.lr, warmup: config.warmup }
    : { name, lr: config.lr };
}

/** Where a batch sits in a run: epoch and batch (0-based) and the run's size. */
export interface SchedulePosition {
  readonly epoch: number;
  readonly batch: number;
  readonly epochs: number;
  readonly batchesPerEpoch: number;
}

/** The learning rate of the batch at `at`. */
export function learningRateAt(schedule: LrSchedule, at: SchedulePosition): number {
  const { lr } = schedule;
  if (schedule.name === "step") {
    return lr / 10 ** lrSteps(at.epochs).filter((step) => at.epoch >= step).length;
  }
  const done = (at.epoch * at.batchesPerEpoch + at.batch) / (at.epochs * at.batchesPerEpoch);
  if (schedule.name === "cosine") return lr * 0.5 * (1 + Math.cos(Math.PI * done));
  const warmup = schedule.warmup ?? 0.15;
  if (done < warmup) return lr * (0.1 + 0.9 * done / warmup);
  return lr * 0.5 * (1 + Math.cos(Math.PI * (done - warmup) / (1 - warmup)));
}

/**
 * Σlr: the sum of the learning rates of every batch of a run of `epochs` epochs of
 * `batchesPerEpoch` batches. The L1 term moves each |γ| by lr·λ a step, so λ·Σlr is how far the
 * sparsity term can move |γ| over the whole run.
 */
export function lrSum(schedule: LrSchedule, epochs: number, batchesPerEpoch: number): number {
  let sum = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let batch = 0; batch < batchesPerEpoch; batch++) {
      sum += learningRateAt(schedule, { epoch, batch, epochs, batchesPerEpoch });
    }
  }
  return sum;
}
