/**
 * The step learning-rate schedule of the reference: divided by 10 at 50% and 75% of the run.
 *
 * @module
 */

/** Epochs (0-based) from which the learning rate is divided by 10: at 50% and 75% of the run. */
export function lrSteps(epochs: number): number[] {
  return [Math.ceil(epochs * 0.5), Math.ceil(epochs * 0.75)];
}

/** The learning rate of epoch `epoch` (0-based). */
export function learningRate(base: number, epoch: number, steps: readonly number[]): number {
  return base / 10 ** steps.filter((step) => epoch >= step).length;
}
