/**
 * The pre-activation ResNet forward pass, a pure function of parameters and input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BatchNormState,
  bnRelu,
  bnReluConv1x1,
  type ForwardOptions,
  type ForwardResult,
  type RunningStats,
} from "@slimming/tensor-utils";
import type { BottleneckParams, ResnetParams } from "./params.ts";

export type { ForwardOptions, ForwardResult, RunningStats } from "@slimming/tensor-utils";

/**
 * BN -> channel selection -> ReLU, the reference's order. ReLU acts per element, so it
 * commutes with picking channels: relu(x)[:, :, :, sel] == relu(x[:, :, :, sel]). This runs
 * {@linkcode bnRelu} (fused where a kernel exists) over every channel, as the reference's BN
 * does (all its running statistics update), and then gathers the selected channels; the
 * gather is skipped when every channel is selected.
 */
export function bnSelectRelu(
  x: tf.Tensor4D,
  bn: BatchNormState,
  select: readonly number[],
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  const result = bnRelu(x, bn, { training: options.training, momentum: options.bnMomentum });
  if (result.runningMean && result.runningVar) {
    stats.push({ runningMean: result.runningMean, runningVar: result.runningVar });
  }
  if (select.length === bn.gamma.shape[0]) return result.y;
  return tf.gather(result.y, tf.tensor1d([...select], "int32"), 3);
}

/** conv without bias, NHWC input, HWIO weight, PyTorch's symmetric zero padding. */
function conv(x: tf.Tensor4D, weight: tf.Tensor4D, stride: number): tf.Tensor4D {
  const pad = (weight.shape[0] - 1) / 2;
  return tf.conv2d(x, weight, stride, pad === 0 ? "valid" : pad);
}

/**
 * One bottleneck block: BN-select-ReLU-conv1x1, BN-ReLU-conv3x3 (stride `stride`),
 * BN-ReLU-conv1x1, plus the residual (the block input, or its downsampling 1x1 conv). The
 * BN-ReLU-conv1x1 pairs run as {@linkcode bnReluConv1x1} (one fused kernel in training where
 * the backend has it) when every channel is selected.
 */
export function bottleneck(
  x: tf.Tensor4D,
  block: BottleneckParams,
  stride: number,
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  const bnOptions = { training: options.training, momentum: options.bnMomentum };
  /** BN -> ReLU -> 1x1 conv in one op (the activation is not kept for the backward). */
  const preactConv1x1 = (input: tf.Tensor4D, bn: BatchNormState, weight: tf.Tensor4D) => {
    const r = bnReluConv1x1(input, bn, weight, bnOptions);
    if (r.runningMean && r.runningVar) {
      stats.push({ runningMean: r.runningMean, runningVar: r.runningVar });
    }
    return r.y;
  };
  let h = block.select.length === block.bn1.gamma.shape[0]
    ? preactConv1x1(x, block.bn1, block.conv1)
    : conv(bnSelectRelu(x, block.bn1, block.select, options, stats), block.conv1, 1);
  const r = bnRelu(h, block.bn2, bnOptions);
  if (r.runningMean && r.runningVar) {
    stats.push({ runningMean: r.runningMean, runningVar: r.runningVar });
  }
  h = preactConv1x1(conv(r.y, block.conv2, stride), block.bn3, block.conv3);
  const residual = block.downsample ? conv(x, block.downsample, stride) : x;
  return tf.add(h, residual);
}

/**
 * Runs the model on NHWC images `x` [n, 32, 32, 3]: stem conv3x3, three stages of
 * bottleneck blocks (the first block of stages 2 and 3 has stride 2), the final
 * BN-select-ReLU, an 8x8 average pool and the linear layer. In training mode BN uses batch
 * statistics and `runningStats` holds every BN's new running statistics in `batchNorms`
 * order. Intermediate tensors are freed; only the returned ones are new.
 */
export function forward(
  params: ResnetParams,
  x: tf.Tensor4D,
  options: ForwardOptions,
): ForwardResult {
  return tf.tidy((): tf.TensorContainer => {
    const runningStats: RunningStats[] = [];
    const n = params.blocks.length / 3;
    let h = conv(x, params.conv1, 1);
    params.blocks.forEach((block, b) => {
      const stride = b >= n && b % n === 0 ? 2 : 1;
      const input = h;
      // One tidy per block frees its intermediates as soon as it ends (the tape keeps what
      // the backward pass needs): a deep model's eval pass then holds a block's tensors
      // instead of the whole network's (ResNet-164 at batch 256: GiBs of fresh memory).
      const out = tf.tidy(() => {
        const stats: RunningStats[] = [];
        const y = bottleneck(input, block, stride, options, stats);
        return { y, stats } as unknown as tf.TensorContainer;
      }) as unknown as { y: tf.Tensor4D; stats: RunningStats[] };
      runningStats.push(...out.stats);
      input.dispose(); // the stem's or the previous block's output, never the caller's x
      h = out.y;
    });
    h = bnSelectRelu(h, params.bn, params.select, options, runningStats);
    const pooled = tf.avgPool(h, 8, 8, "valid");
    const flat = tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(flat, params.fc.weight), params.fc.bias) as tf.Tensor2D;
    const result: ForwardResult = options.training ? { logits, runningStats } : { logits };
    return result as unknown as tf.TensorContainer;
  }) as unknown as ForwardResult;
}
