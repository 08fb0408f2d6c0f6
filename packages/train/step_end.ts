/**
 * The seam between the training loop and a backend that sizes its buffer pool by steps.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Tells the active backend that a step (a training step, or one evaluation batch) ended, if
 * it sizes a buffer pool by steps: the kernels' backends then give back the idle buffers the
 * step did not use (`PooledCpuBackend.endStep`). Other backends ignore it.
 */
export function markStepEnd(): void {
  (tf.backend() as { endStep?: () => void }).endStep?.();
}
