/**
 * The CIFAR ResNet forward pass, a pure function of parameters and NHWC input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  addRelu,
  type BatchNormState,
  bnRelu,
  conv3x3BnRelu,
  type ForwardOptions,
  type ForwardResult,
  type RunningStats,
} from "@slimming/tensor-utils";
import { batchNorm } from "./batch_norm.ts";
import type { BasicBlockParams, CifarResnetParams } from "./params.ts";

export type { ForwardOptions, ForwardResult, RunningStats } from "@slimming/tensor-utils";

/** conv without bias, NHWC input, HWIO weight, PyTorch's symmetric zero padding (k-1)/2. */
function conv(x: tf.Tensor4D, weight: tf.Tensor4D, stride: number): tf.Tensor4D {
  const pad = (weight.shape[0] - 1) / 2;
  return tf.conv2d(x, weight, stride, pad === 0 ? "valid" : pad);
}

function pushStats(
  stats: RunningStats[],
  r: { runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D },
) {
  if (r.runningMean && r.runningVar) {
    stats.push({ runningMean: r.runningMean, runningVar: r.runningVar });
  }
}

/**
 * conv3x3 (stride `stride`, padding 1) -> BN -> ReLU; at stride 1 through the fused
 * `conv3x3BnRelu` (a kernel where the backend registers one).
 */
function convBnRelu(
  x: tf.Tensor4D,
  weight: tf.Tensor4D,
  bn: BatchNormState,
  stride: number,
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  const bnOptions = { training: options.training, momentum: options.bnMomentum };
  if (stride === 1 && weight.shape[0] === 3) {
    const r = conv3x3BnRelu(x, weight, bn, bnOptions);
    pushStats(stats, r);
    return r.y;
  }
  const r = bnRelu(conv(x, weight, stride), bn, bnOptions);
  pushStats(stats, r);
  return r.y;
}

/**
 * One basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), conv1 with the
 * block's `stride`, the shortcut the identity or BN(conv1x1(x, stride)). Running statistics
 * go to `stats` in the order bn1, bn2, projection BN.
 */
export function basicBlock(
  x: tf.Tensor4D,
  block: BasicBlockParams,
  stride: number,
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  const bnOptions = { training: options.training, momentum: options.bnMomentum };
  const h = convBnRelu(x, block.conv1, block.bn1, stride, options, stats);
  const out = batchNorm(conv(h, block.conv2, 1), block.bn2, bnOptions);
  pushStats(stats, out);
  let shortcut = x;
  if (block.downsample) {
    const r = batchNorm(conv(x, block.downsample.conv, stride), block.downsample.bn, bnOptions);
    pushStats(stats, r);
    shortcut = r.y;
  }
  return addRelu(out.y, shortcut);
}

/**
 * Runs the model on NHWC images `x` [n, 32, 32, 3]: stem conv3x3 -> BN -> ReLU, three stages
 * of basic blocks (the first block of stages 2 and 3 has stride 2), global average pooling
 * and the linear layer. In training mode BN uses batch statistics and `runningStats` holds
 * every BN's new running statistics in `cifarResnetBatchNorms` order. Intermediate tensors
 * are freed; only the returned ones are new.
 */
export function cifarResnetForward(
  params: CifarResnetParams,
  x: tf.Tensor4D,
  options: ForwardOptions,
): ForwardResult {
  return tf.tidy((): tf.TensorContainer => {
    const runningStats: RunningStats[] = [];
    let h = convBnRelu(x, params.conv1, params.bn1, 1, options, runningStats);
    const n = params.residualBlocks.length / 3;
    params.residualBlocks.forEach((block, b) => {
      const stride = b >= n && b % n === 0 ? 2 : 1;
      const input = h;
      // One tidy per block frees its intermediates when it ends (the tape keeps what the
      // backward pass needs), so an eval pass holds one block's tensors, not the network's.
      const out = tf.tidy(() => {
        const stats: RunningStats[] = [];
        const y = basicBlock(input, block, stride, options, stats);
        return { y, stats } as unknown as tf.TensorContainer;
      }) as unknown as { y: tf.Tensor4D; stats: RunningStats[] };
      runningStats.push(...out.stats);
      input.dispose(); // the stem's or the previous block's output, never the caller's x
      h = out.y;
    });
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(pooled, params.fc.weight), params.fc.bias) as tf.Tensor2D;
    const result: ForwardResult = options.training ? { logits, runningStats } : { logits };
    return result as unknown as tf.TensorContainer;
  }) as unknown as ForwardResult;
}
