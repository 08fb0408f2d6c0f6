/**
 * Test-set evaluation and inference speed of a model.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batchesOf, type CifarSplit, makeBatch } from "@slimming/cifar";
import { architectureOf, type ModelParams } from "@slimming/architectures";
import { evalBatch } from "./train_step.ts";
import { markStepEnd } from "./step_end.ts";

/**
 * Images per evaluation batch. An eval-mode forward pass keeps its activations until it ends,
 * so the batch sets its memory: DenseNet-40 evaluated 1,000 images at batch 500 with a 10.8 GB
 * peak (29.9 s), at batch 100 with 2.1 GB (8.2 s), native kernels (1.2 GB since its eval
 * forward frees each feature map once the next exists).
 */
export const EVAL_BATCH_SIZE = 100;

/** Loss and accuracy (percent) over a split. */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
}

function identityOrder(count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i);
}

/** Eval-mode mean loss and accuracy of `params` on `split`. */
export async function evaluate(
  params: ModelParams,
  split: CifarSplit,
  batchSize: number = EVAL_BATCH_SIZE,
): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  for (const indices of batchesOf(identityOrder(split.count), batchSize)) {
    const { x, y } = makeBatch(split, indices, { augment: false });
    const xs = tf.tensor4d(x, [indices.length, 32, 32, 3]);
    const ys = tf.tensor1d(y, "int32");
    const out = evalBatch(params, xs, ys);
    lossSum += (await out.lossSum.data())[0];
    correct += (await out.correct.data())[0];
    tf.dispose([xs, ys, out.lossSum, out.correct]);
    markStepEnd();
  }
  return { loss: lossSum / split.count, accuracy: (100 * correct) / split.count };
}

/**
 * Measured eval-mode images/s of `params` on random 32x32 inputs (batch `batchSize`, median
 * of `rounds` timed passes after a warm-up).
 */
export async function inferenceSpeed(
  params: ModelParams,
  batchSize = 256,
  rounds = 5,
): Promise<number> {
  const x = tf.randomNormal([batchSize, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const once = async () => {
    const { logits } = architectureOf(params).ops.forward(params, x, { training: false });
    await logits.data();
    logits.dispose();
  };
  await once();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    await once();
    rates.push(batchSize / ((performance.now() - start) / 1000));
  }
  x.dispose();
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}
