/**
 * The layer operations the models are built from. Each op runs a fused kernel when the
 * active backend has one registered (`@slimming/kernels` registers them), and otherwise the
 * equivalent composition of stock tfjs ops; both give the same function and the same
 * gradients.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel names of the fused ops; a backend that registers them gets the fast path. */
export const FUSED = {
  /**
   * Training: conv3x3 (pad 1) -> batch-statistics BN -> ReLU. Inputs x, weight, gamma, beta,
   * runningMean, runningVar; outputs [y, z, mean, biased var, new running mean, new running var].
   */
  convBnRelu: "SlimConvBnRelu",
  /** Backward of BN + ReLU given dy and the saved conv output z. Outputs [dz, dgamma, dbeta]. */
  bnReluGrad: "SlimBnReluGrad",
  /** conv3x3 backward to the input. */
  conv3x3GradInput: "SlimConv3x3GradInput",
  /** conv3x3 backward to the filter. */
  conv3x3GradFilter: "SlimConv3x3GradFilter",
  /** Inference: conv3x3 -> per-channel affine -> ReLU. */
  convAffineRelu: "SlimConvAffineRelu",
  /**
   * SGD with momentum, weight decay and an L1 subgradient over `count` tensors: inputs
   * param<i>, grad<i>, buffer<i>; attrs lr, momentum, weightDecay, l1 (one per tensor), first;
   * outputs the new params then the new momentum buffers.
   */
  sgd: "SlimSgd",
  /**
   * Training: batch-statistics BN -> ReLU without a conv (pre-activation blocks). Inputs x,
   * gamma, beta, runningMean, runningVar; attrs eps, momentum; outputs [y, mean, biased var,
   * new running mean, new running var]. Its gradient is {@linkcode FUSED.bnReluGrad} with z = x.
   */
  bnRelu: "SlimBnRelu",
  /**
   * Inference: `max(0, x * scale + shift)` per channel (last axis); inputs x, scale, shift
   * (the running-statistics BN -> ReLU of {@linkcode bnRelu}).
   */
  affineRelu: "SlimAffineRelu",
  /**
   * Training: batch-statistics BN -> ReLU -> 1x1 conv (stride 1, no bias) without storing the
   * activation. Inputs x, gamma, beta, runningMean, runningVar, weight [1, 1, in, out]; attrs
   * eps, momentum; outputs [conv output, mean, biased var, new running mean, new running var].
   */
  bnReluConv1x1: "SlimBnReluConv1x1",
  /**
   * Backward of {@linkcode FUSED.bnReluConv1x1} to its weight: inputs x, dy, gamma, beta, mean,
   * variance; attr eps; output the weight gradient [1, 1, in, out].
   */
  conv1x1GradFilterBnRelu: "SlimConv1x1GradFilterBnRelu",
  /**
   * Training: batch-statistics BN without a ReLU (a residual block's last BN and its
   * projection's). Inputs x, gamma, beta, runningMean, runningVar; attrs eps, momentum;
   * outputs [y, mean, biased var, new running mean, new running var] (`bn.ts`).
   */
  bn: "SlimBn",
  /** Backward of {@linkcode FUSED.bn}: inputs dy, x, gamma, mean, variance; outputs [dx, dgamma, dbeta]. */
  bnGrad: "SlimBnGrad",
  /** `max(0, a + b)` of two float32 tensors of one shape (the residual addition's ReLU). */
  addRelu: "SlimAddRelu",
  /** ReLU backward from its output: inputs dy, y; output `dy * (y > 0)`. */
  reluGrad: "SlimReluGrad",
} as const;

/** Batch-norm state of one layer. */
export interface BatchNormState {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
  readonly runningMean: tf.Tensor1D;
  readonly runningVar: tf.Tensor1D;
}

/** Options of {@linkcode conv3x3BnRelu}. */
export interface BnOptions {
  /** Batch statistics (and updated running statistics) when true, running ones when false. */
  readonly training: boolean;
  /** Added to the variance (PyTorch default 1e-5). */
  readonly eps?: number;
  /** Weight of the new batch statistic in the running average (PyTorch default 0.1). */
  readonly momentum?: number;
}

/** Output of {@linkcode conv3x3BnRelu}: activations and, in training, new running statistics. */
export interface ConvBnReluResult {
  readonly y: tf.Tensor4D;
  readonly runningMean?: tf.Tensor1D;
  readonly runningVar?: tf.Tensor1D;
}

/** Whether the active backend has the fused kernel `name`. */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function updatedRunningStats(
  bn: BatchNormState,
  mean: tf.Tensor1D,
  biasedVar: tf.Tensor1D,
  count: number,
  momentum: number,
): { runningMean: tf.Tensor1D; runningVar: tf.Tensor1D } {
  return tf.tidy(() => {
    const unbiased = count > 1 ? tf.mul(biasedVar, count / (count - 1)) : biasedVar;
    return {
      runningMean: tf.add(tf.mul(bn.runningMean, 1 - momentum), tf.mul(mean, momentum)),
      runningVar: tf.add(tf.mul(bn.runningVar, 1 - momentum), tf.mul(unbiased, momentum)),
    };
  });
}

/** Eval-mode BN as a per-channel affine: `scale = γ / sqrt(var + eps)`, `shift = β - mean·scale`. */
function runningAffine(
  bn: BatchNormState,
  eps: number,
): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.div(bn.gamma, tf.sqrt(tf.add(bn.runningVar, eps))) as tf.Tensor1D;
    return { scale, shift: tf.sub(bn.beta, tf.mul(bn.runningMean, scale)) as tf.Tensor1D };
  });
}

/**
 * conv3x3 (stride 1, zero padding 1, no bias; NHWC input, HWIO weight) -> batch norm ->
 * ReLU, the VGG block. In training mode BN uses the batch's statistics (biased variance for
 * normalising, unbiased for the running value, like PyTorch).
 */
export function conv3x3BnRelu(
  x: tf.Tensor4D,
  weight: tf.Tensor4D,
  bn: BatchNormState,
  options: BnOptions,
): ConvBnReluResult {
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const [n, h, w] = x.shape;
  if (options.training) {
    if (hasFusedKernel(FUSED.convBnRelu)) {
      const outs = tf.engine().runKernel(
        FUSED.convBnRelu,
        {
          x,
          weight,
          gamma: bn.gamma,
          beta: bn.beta,
          runningMean: bn.runningMean,
          runningVar: bn.runningVar,
        },
        { eps, momentum },
      ) as tf.Tensor[];
      const [y, z, mean, variance, runningMean, runningVar] = outs;
      // z, mean and var live on in the gradient's saved tensors when a tape records this.
      tf.dispose([z, mean, variance]);
      return {
        y: y as tf.Tensor4D,
        runningMean: runningMean as tf.Tensor1D,
        runningVar: runningVar as tf.Tensor1D,
      };
    }
    const z = tf.conv2d(x, weight, 1, "same");
    const moments = tf.moments(z, [0, 1, 2]);
    const mean = moments.mean as tf.Tensor1D;
    const variance = moments.variance as tf.Tensor1D;
    const y = tf.relu(tf.batchNorm(z, mean, variance, bn.beta, bn.gamma, eps));
    return { y, ...updatedRunningStats(bn, mean, variance, n * h * w, momentum) };
  }
  const { scale, shift } = runningAffine(bn, eps);
  let y: tf.Tensor4D;
  if (hasFusedKernel(FUSED.convAffineRelu)) {
    y = tf.engine().runKernel(FUSED.convAffineRelu, { x, weight, scale, shift }, {}) as tf.Tensor4D;
  } else {
    y = tf.tidy(() => tf.relu(tf.add(tf.mul(tf.conv2d(x, weight, 1, "same"), scale), shift)));
  }
  scale.dispose();
  shift.dispose();
  return { y };
}

/**
 * Batch norm -> ReLU on NHWC `x` without a conv (the pre-activation ResNet and DenseNet
 * layer start). In training mode BN uses the batch's statistics (biased variance for
 * normalising, unbiased for the running value, like PyTorch); otherwise the running ones.
 */
export function bnRelu(
  x: tf.Tensor4D,
  bn: BatchNormState,
  options: BnOptions,
): ConvBnReluResult {
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const [n, h, w] = x.shape;
  if (options.training) {
    if (hasFusedKernel(FUSED.bnRelu)) {
      const outs = tf.engine().runKernel(
        FUSED.bnRelu,
        {
          x,
          gamma: bn.gamma,
          beta: bn.beta,
          runningMean: bn.runningMean,
          runningVar: bn.runningVar,
        },
        { eps, momentum },
      ) as tf.Tensor[];
      const [y, mean, variance, runningMean, runningVar] = outs;
      tf.dispose([mean, variance]);
      return {
        y: y as tf.Tensor4D,
        runningMean: runningMean as tf.Tensor1D,
        runningVar: runningVar as tf.Tensor1D,
      };
    }
    const moments = tf.moments(x, [0, 1, 2]);
    const mean = moments.mean as tf.Tensor1D;
    const variance = moments.variance as tf.Tensor1D;
    const y = tf.relu(tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, eps));
    return { y, ...updatedRunningStats(bn, mean, variance, n * h * w, momentum) };
  }
  const y = tf.tidy(() => {
    const { scale, shift } = runningAffine(bn, eps);
    if (hasFusedKernel(FUSED.affineRelu)) {
      return tf.engine().runKernel(FUSED.affineRelu, { x, scale, shift }, {}) as tf.Tensor4D;
    }
    return tf.relu(tf.add(tf.mul(x, scale), shift)) as tf.Tensor4D;
  });
  return { y };
}

/**
 * BN -> ReLU -> 1x1 conv (stride 1, no bias), the pre-activation order: in training on a
 * backend with {@linkcode FUSED.bnReluConv1x1} one kernel that never stores the activation
 * (its backward recomputes it), else {@linkcode bnRelu} then conv2d. `y` is the conv's output.
 */
export function bnReluConv1x1(
  x: tf.Tensor4D,
  bn: BatchNormState,
  weight: tf.Tensor4D,
  options: BnOptions,
): ConvBnReluResult {
  if (options.training && hasFusedKernel(FUSED.bnReluConv1x1)) {
    const outs = tf.engine().runKernel(
      FUSED.bnReluConv1x1,
      {
        x,
        gamma: bn.gamma,
        beta: bn.beta,
        runningMean: bn.runningMean,
        runningVar: bn.runningVar,
        weight,
      },
      { eps: options.eps ?? 1e-5, momentum: options.momentum ?? 0.1 },
    ) as tf.Tensor[];
    const [y, mean, variance, runningMean, runningVar] = outs;
    tf.dispose([mean, variance]);
    return {
      y: y as tf.Tensor4D,
      runningMean: runningMean as tf.Tensor1D,
      runningVar: runningVar as tf.Tensor1D,
    };
  }
  const r = bnRelu(x, bn, options);
  return { ...r, y: tf.conv2d(r.y, weight, 1, "valid") };
}

/** 2x2 max-pool, stride 2 (NHWC). */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}

/** 2x2 average-pool, stride 2 (NHWC). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, "valid");
}
