/**
 * A synthetic pre-activation network built from stock tfjs ops and `bnRelu`, to measure what
 * the ResNet-164 and DenseNet-40 layers cost on a backend (not a model of this project: the
 * real ones live in `@slimming/resnet` and `@slimming/densenet`). Bottleneck blocks: BN-ReLU
 * (optionally a channel gather, as a pruned network's channel selection) -> 1x1 conv ->
 * BN-ReLU -> 3x3 conv (stride 1 or 2) -> BN-ReLU -> 1x1 conv, plus the input (through a 1x1
 * conv, strided where the block is, when the shape changes). Dense layers: BN-ReLU -> 3x3 conv
 * (growth 12) concatenated to the input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BatchNormState, bnRelu } from "@slimming/tensor-utils";

/** Shape of the synthetic stack. */
export interface StackSpec {
  /** Bottleneck blocks at 32x32 (planes 16, 64 out), then one stride-2 block (planes 32). */
  readonly blocks: number;
  /** Dense layers (growth 12) after the bottlenecks, at the bottleneck output's resolution. */
  readonly denseLayers: number;
  /** Keep this fraction of each block's input channels by a gather (1: no gather). */
  readonly keep: number;
  readonly classes: number;
}

type Bn = BatchNormState;
interface Block {
  bn1: Bn;
  idx?: tf.Tensor1D;
  conv1: tf.Tensor4D;
  bn2: Bn;
  conv2: tf.Tensor4D;
  bn3: Bn;
  conv3: tf.Tensor4D;
  down?: tf.Tensor4D;
  stride: number;
}
/** Parameters of the stack (trainables listed in `leaves`). */
export interface Stack {
  stem: tf.Tensor4D;
  blocks: Block[];
  dense: Array<{ bn: Bn; conv: tf.Tensor4D }>;
  final: Bn;
  fc: tf.Tensor2D;
}

let seed = 1;
const he = (shape: [number, number, number, number]) =>
  tf.randomNormal(
    shape,
    0,
    Math.sqrt(2 / (shape[0] * shape[1] * shape[3])),
    "float32",
    seed++,
  ) as tf.Tensor4D;
const bn = (c: number): Bn => ({
  gamma: tf.fill([c], 0.5) as tf.Tensor1D,
  beta: tf.zeros([c]) as tf.Tensor1D,
  runningMean: tf.zeros([c]) as tf.Tensor1D,
  runningVar: tf.ones([c]) as tf.Tensor1D,
});

function keptIndices(c: number, keep: number): tf.Tensor1D | undefined {
  if (keep >= 1) return undefined;
  const kept = Math.max(1, Math.round(c * keep));
  const all = Array.from({ length: c }, (_, i) => i).filter((i) => (i * 7919) % c < kept);
  return tf.tensor1d(all.slice(0, kept), "int32");
}

/** Random parameters for `spec`. */
export function initStack(spec: StackSpec): Stack {
  const blocks: Block[] = [];
  let cin = 16;
  const plan = [
    ...Array.from({ length: spec.blocks }, () => ({ planes: 16, stride: 1 })),
    { planes: 32, stride: 2 },
  ];
  for (const { planes, stride } of plan) {
    const idx = keptIndices(cin, spec.keep);
    const c1 = idx ? idx.shape[0] : cin;
    blocks.push({
      bn1: bn(cin),
      idx,
      conv1: he([1, 1, c1, planes]),
      bn2: bn(planes),
      conv2: he([3, 3, planes, planes]),
      bn3: bn(planes),
      conv3: he([1, 1, planes, 4 * planes]),
      down: cin !== 4 * planes || stride !== 1 ? he([1, 1, cin, 4 * planes]) : undefined,
      stride,
    });
    cin = 4 * planes;
  }
  const dense = [];
  for (let i = 0; i < spec.denseLayers; i++) {
    dense.push({ bn: bn(cin), conv: he([3, 3, cin, 12]) });
    cin += 12;
  }
  return {
    stem: he([3, 3, 3, 16]),
    blocks,
    dense,
    final: bn(cin),
    fc: tf.randomNormal([cin, spec.classes], 0, 0.01, "float32", seed++) as tf.Tensor2D,
  };
}

/** The trainable tensors of a stack, in a fixed order. */
export function leaves(s: Stack): tf.Tensor[] {
  const bnLeaves = (b: Bn) => [b.gamma, b.beta];
  return [
    s.stem,
    ...s.blocks.flatMap((b) => [
      ...bnLeaves(b.bn1),
      b.conv1,
      ...bnLeaves(b.bn2),
      b.conv2,
      ...bnLeaves(b.bn3),
      b.conv3,
      ...(b.down ? [b.down] : []),
    ]),
    ...s.dense.flatMap((d) => [...bnLeaves(d.bn), d.conv]),
    ...bnLeaves(s.final),
    s.fc,
  ];
}

/** `s` with its trainables replaced by `values` (in {@linkcode leaves} order). */
export function withLeaves(s: Stack, values: tf.Tensor[]): Stack {
  let i = 0;
  const next = <T extends tf.Tensor>() => values[i++] as T;
  const b2 = (b: Bn): Bn => ({ ...b, gamma: next(), beta: next() });
  return {
    stem: next(),
    blocks: s.blocks.map((b) => ({
      ...b,
      bn1: b2(b.bn1),
      conv1: next(),
      bn2: b2(b.bn2),
      conv2: next(),
      bn3: b2(b.bn3),
      conv3: next(),
      down: b.down ? next() : undefined,
    })),
    dense: s.dense.map((d) => ({ bn: b2(d.bn), conv: next() })),
    final: b2(s.final),
    fc: next(),
  };
}

/** Logits of the stack in training mode (running statistics computed and dropped). */
export function forwardStack(s: Stack, x: tf.Tensor4D): tf.Tensor2D {
  const act = (t: tf.Tensor4D, b: Bn) => {
    const out = bnRelu(t, b, { training: true });
    out.runningMean?.dispose();
    out.runningVar?.dispose();
    return out.y;
  };
  let h = tf.conv2d(x, s.stem, 1, "same");
  for (const b of s.blocks) {
    let a = act(h, b.bn1);
    const residual = b.down ? tf.conv2d(h, b.down, b.stride, "valid") : h;
    if (b.idx) a = tf.gather(a, b.idx, 3);
    let t = tf.conv2d(a, b.conv1, 1, "valid");
    t = tf.conv2d(act(t, b.bn2), b.conv2, b.stride, "same");
    t = tf.conv2d(act(t, b.bn3), b.conv3, 1, "valid");
    h = tf.add(t, residual);
  }
  for (const d of s.dense) {
    h = tf.concat([h, tf.conv2d(act(h, d.bn), d.conv, 1, "same")], 3);
  }
  const pooled = tf.avgPool(act(h, s.final), [h.shape[1], h.shape[2]], 1, "valid");
  return tf.matMul(tf.reshape(pooled, [x.shape[0], -1]), s.fc);
}

/** One forward + backward of the stack's cross-entropy (gradients disposed). */
export function stepStack(s: Stack, x: tf.Tensor4D, labels: tf.Tensor2D): void {
  tf.tidy(() => {
    const { grads } = tf.valueAndGrads((...values: tf.Tensor[]) =>
      tf.losses.softmaxCrossEntropy(labels, forwardStack(withLeaves(s, values), x)) as tf.Scalar
    )(leaves(s));
    tf.dispose(grads);
  });
}
