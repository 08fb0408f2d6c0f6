/**
 * The DenseNet forward pass, a pure function of parameters and input, in the reference's
 * layer order.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  avgPool2x2,
  bnRelu,
  bnReluConv1x1,
  type ForwardOptions,
  type ForwardResult,
  type RunningStats,
} from "@slimming/tensor-utils";
import type { DensenetParams, SelectedBn } from "./params.ts";

/**
 * The channels `selected` of NHWC `x` (axis 3); `x` itself when every channel is selected.
 */
export function selectChannels(x: tf.Tensor4D, selected: readonly number[]): tf.Tensor4D {
  if (selected.length === x.shape[3]) return x;
  return tf.tidy(() => tf.gather(x, tf.tensor1d([...selected], "int32"), 3) as tf.Tensor4D);
}

/**
 * BN -> channel selection -> ReLU, computed as `select(bnRelu(x))`. Selection picks whole
 * channels and ReLU acts elementwise, so select(relu(y)) = relu(select(y)): the same
 * function as the reference's order, with BN (and its statistics) over every channel.
 */
function bnSelectRelu(
  x: tf.Tensor4D,
  unit: SelectedBn,
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  const result = bnRelu(x, unit.bn, { training: options.training, momentum: options.bnMomentum });
  if (result.runningMean && result.runningVar) {
    stats.push({ runningMean: result.runningMean, runningVar: result.runningVar });
  }
  return selectChannels(result.y, unit.selected);
}

/**
 * A transition's BN -> select -> ReLU -> conv1x1: one {@linkcode bnReluConv1x1} (fused in
 * training where the backend has it) when every channel is selected.
 */
function transitionConv(
  x: tf.Tensor4D,
  t: DensenetParams["trans"][number],
  options: ForwardOptions,
  stats: RunningStats[],
): tf.Tensor4D {
  if (t.selected.length !== x.shape[3]) {
    return tf.conv2d(bnSelectRelu(x, t, options, stats), t.conv.weight, 1, "valid");
  }
  const bnOptions = { training: options.training, momentum: options.bnMomentum };
  const r = bnReluConv1x1(x, t.bn, t.conv.weight, bnOptions);
  if (r.runningMean && r.runningVar) {
    stats.push({ runningMean: r.runningMean, runningVar: r.runningVar });
  }
  return r.y;
}

/**
 * Runs the model on NHWC images `x` [n, 32, 32, 3]: conv3x3; three dense blocks, each layer
 * BN -> select -> ReLU -> conv3x3 (g outputs) concatenated after its input; between blocks
 * a transition BN -> select -> ReLU -> conv1x1 -> 2x2 average pool; then BN -> select ->
 * ReLU -> 8x8 average pool -> linear. In training mode BN uses batch statistics and the
 * result holds every BN's new running statistics (in `batchNorms` order). Intermediate
 * tensors are freed; only the returned ones are new.
 */
export function forward(
  params: DensenetParams,
  x: tf.Tensor4D,
  options: ForwardOptions,
): ForwardResult {
  return tf.tidy((): tf.TensorContainer => {
    const runningStats: RunningStats[] = [];
    let h = tf.conv2d(x, params.conv1.weight, 1, "same");
    // In eval mode each layer's intermediates and the previous feature map are freed as soon
    // as the next one exists (a tidy keeps everything to its end: DenseNet-40 evaluated at
    // batch 100 held 2.1 GB). Training keeps them: the backward pass needs them, and the
    // running statistics are made inside the layers.
    const advance = (next: () => tf.Tensor4D) => {
      if (options.training) {
        h = next();
        return;
      }
      const made = tf.tidy(next);
      h.dispose();
      h = made;
    };
    params.dense.forEach((block, b) => {
      for (const layer of block) {
        advance(() => {
          const y = bnSelectRelu(h, layer, options, runningStats);
          return tf.concat([h, tf.conv2d(y, layer.conv.weight, 1, "same")], 3);
        });
      }
      if (b < params.trans.length) {
        const t = params.trans[b];
        advance(() => avgPool2x2(transitionConv(h, t, options, runningStats)));
      }
    });
    const y = bnSelectRelu(h, params.final, options, runningStats);
    const pooled = tf.avgPool(y, 8, 8, "valid");
    const flat = tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(flat, params.fc.weight), params.fc.bias) as tf.Tensor2D;
    const result: ForwardResult = options.training ? { logits, runningStats } : { logits };
    return result as unknown as tf.TensorContainer;
  }) as unknown as ForwardResult;
}
