/**
 * The array-level interface of the training kernels (see `src/*.c`), with two
 * implementations: the native library through Deno FFI and the WebAssembly SIMD build
 * with a worker pool. Layouts: NHWC activations, HWIO [3, 3, in, out] conv weights.
 *
 * @module
 */

/** Image batch shape [n, height, width, channels]. */
export type Nhwc = readonly [number, number, number, number];

/** Outputs of the training forward of conv3x3 -> BN -> ReLU. */
export interface ConvBnReluArrays {
  /** Conv output before BN (saved for the backward pass). */
  readonly z: Float32Array;
  /** Activation after BN and ReLU. */
  readonly y: Float32Array;
  /** Per-channel batch mean. */
  readonly mean: Float32Array;
  /** Per-channel biased batch variance. */
  readonly variance: Float32Array;
}

/** Outputs of the BN + ReLU backward pass. */
export interface BnReluGradArrays {
  readonly dz: Float32Array;
  readonly dgamma: Float32Array;
  readonly dbeta: Float32Array;
}

/**
 * Where a backend's tensor buffers come from when they do not live in the JS heap (the
 * WebAssembly kernels' memory): blocks handed out as Float32Array views and handed back.
 */
export interface BufferArena {
  /** A view of `length` floats (contents undefined), or null when the arena is full. */
  allocate(length: number): Float32Array | null;
  /** Returns a view from `allocate`, never used again; other arrays are ignored. */
  free(array: Float32Array): void;
  /** Whether `array` lies in the arena's memory (its data is not an ordinary array). */
  contains(array: ArrayBufferView): boolean;
  /** A copy of `values` in the arena (counted as bytes copied in), or null when it is full. */
  adopt(values: Float32Array): Float32Array | null;
}

/** The fused kernels, on plain arrays. Every method returns new arrays; inputs are read only. */
export interface KernelLib {
  /** Backend name this library serves ("native" or "wasm-simd"). */
  readonly name: string;
  /** What runs the kernels, e.g. "native AVX-512, 2 threads". */
  readonly description: string;
  /**
   * Allocates output arrays (every element is overwritten by the kernels). The tfjs backend
   * sets it to its buffer pool; the default is `new Float32Array(length)`.
   */
  alloc: (length: number) => Float32Array;
  /**
   * Memory the backend should keep its tensors in so the kernels use them where they lie (the
   * WebAssembly build's shared memory); absent: ordinary typed arrays.
   */
  readonly arena?: BufferArena;
  convBnRelu(
    x: Float32Array,
    shape: Nhwc,
    weight: Float32Array,
    outChannels: number,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
  ): ConvBnReluArrays;
  convAffineRelu(
    x: Float32Array,
    shape: Nhwc,
    weight: Float32Array,
    outChannels: number,
    scale: Float32Array,
    shift: Float32Array,
  ): Float32Array;
  conv3x3(x: Float32Array, shape: Nhwc, weight: Float32Array, outChannels: number): Float32Array;
  /** Gradient to the input; `shape` is the input's shape. */
  conv3x3GradInput(
    dz: Float32Array,
    shape: Nhwc,
    weight: Float32Array,
    outChannels: number,
  ): Float32Array;
  /** Gradient to the weight; `shape` is the input's shape. */
  conv3x3GradFilter(
    x: Float32Array,
    dz: Float32Array,
    shape: Nhwc,
    outChannels: number,
  ): Float32Array;
  bnReluGrad(
    dy: Float32Array,
    z: Float32Array,
    channels: number,
    gamma: Float32Array,
    beta: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
  ): BnReluGradArrays;
  /**
   * Training BN (batch statistics) -> ReLU on `x` viewed as rows of `channels`: the output
   * and the per-channel mean and biased variance.
   */
  bnRelu(
    x: Float32Array,
    channels: number,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
  ): { y: Float32Array; mean: Float32Array; variance: Float32Array };
  /** `max(0, x * scale + shift)` per channel, `x` viewed as rows of `scale.length`. */
  affineRelu(x: Float32Array, scale: Float32Array, shift: Float32Array): Float32Array;
  /**
   * Training BN (batch statistics) without a ReLU on `x` viewed as rows of `channels`: the
   * output and the per-channel mean and biased variance (native only: `bn_kernels.ts`).
   */
  bn?(
    x: Float32Array,
    channels: number,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
  ): { y: Float32Array; mean: Float32Array; variance: Float32Array };
  /** Backward of {@linkcode KernelLib.bn}: dx, dgamma and dbeta (`dz` is dx). */
  bnGrad?(
    dy: Float32Array,
    x: Float32Array,
    channels: number,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
  ): BnReluGradArrays;
  /** `max(0, a + b)` of two same-length arrays (native only). */
  addRelu?(a: Float32Array, b: Float32Array): Float32Array;
  /** `dy * (y > 0)` of two same-length arrays, the ReLU backward from its output (native only). */
  reluGrad?(dy: Float32Array, y: Float32Array): Float32Array;
  /** 1x1 conv, stride `stride`, no padding; `shape` is the input's, `weight` [in, out]. */
  conv1x1(
    x: Float32Array,
    shape: Nhwc,
    weight: Float32Array,
    outChannels: number,
    stride: number,
  ): Float32Array;
  /** Gradient of {@linkcode KernelLib.conv1x1} to its input; `shape` is the input's. */
  conv1x1GradInput(
    dy: Float32Array,
    shape: Nhwc,
    weight: Float32Array,
    outChannels: number,
    stride: number,
  ): Float32Array;
  /** Gradient of {@linkcode KernelLib.conv1x1} to its weight; `shape` is the input's. */
  conv1x1GradFilter(
    x: Float32Array,
    dy: Float32Array,
    shape: Nhwc,
    outChannels: number,
    stride: number,
  ): Float32Array;
  /**
   * Training forward of the pre-activation BN (batch statistics) -> ReLU -> 1x1 conv, stride 1:
   * the conv's output and the BN's per-channel mean and biased variance; the activation is not
   * stored (see {@linkcode KernelLib.conv1x1GradFilterBnRelu}). `shape` is the input's.
   */
  bnReluConv1x1(
    x: Float32Array,
    shape: Nhwc,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
    weight: Float32Array,
    outChannels: number,
  ): { y: Float32Array; mean: Float32Array; variance: Float32Array };
  /**
   * Gradient of {@linkcode KernelLib.bnReluConv1x1} to its weight: the activation recomputed
   * from x and the forward's mean and variance. `shape` is the input's.
   */
  conv1x1GradFilterBnRelu(
    x: Float32Array,
    dy: Float32Array,
    shape: Nhwc,
    outChannels: number,
    gamma: Float32Array,
    beta: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
  ): Float32Array;
  /** Any other conv (see {@linkcode ConvGeometry}) by patches: forward. */
  convPatches(x: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array;
  /** Gradient of {@linkcode KernelLib.convPatches} to its input. */
  convPatchesGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array;
  /** Gradient of {@linkcode KernelLib.convPatches} to its weight. */
  convPatchesGradFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array;
  /** `a + b` element by element (two arrays of one length). */
  add(a: Float32Array, b: Float32Array): Float32Array;
  /** y [rows, k] = x [rows, channels] at channels `indices` (each in [0, channels)). */
  gatherChannels(x: Float32Array, channels: number, indices: Int32Array): Float32Array;
  /** The gradient of {@linkcode KernelLib.gatherChannels}: dx [rows, channels]. */
  scatterChannels(dy: Float32Array, indices: Int32Array, channels: number): Float32Array;
  /**
   * Copies columns [srcOffset, srcOffset + width) of `src` (rows of `srcChannels`) into columns
   * [dstOffset, dstOffset + width) of `dst` (rows of `dstChannels`), for every row of `src`
   * (concatenation and split along the last axis).
   */
  copyColumns(
    src: Float32Array,
    srcChannels: number,
    srcOffset: number,
    dst: Float32Array,
    dstChannels: number,
    dstOffset: number,
    width: number,
  ): void;
  maxPool2(x: Float32Array, shape: Nhwc): Float32Array;
  /** Gradient of the 2x2 max-pool; `shape` is the input's shape. */
  maxPool2Grad(x: Float32Array, dy: Float32Array, shape: Nhwc): Float32Array;
  avgPool2(x: Float32Array, shape: Nhwc): Float32Array;
  /** Gradient of the 2x2 average-pool; `shape` is the input's shape. */
  avgPool2Grad(dy: Float32Array, shape: Nhwc): Float32Array;
  /**
   * `op(a) [m, k] . op(b) [k, n]` as an [m, n] array, `op` transposing a row-major operand
   * where asked (the head's linear layer and its gradients).
   */
  matMul(a: Float32Array, b: Float32Array, dims: MatMulDims): Float32Array;
  /**
   * One SGD step (PyTorch's rule plus `l1 * sign(p)` added to the gradient); a null buffer means
   * the first step.
   */
  sgd(
    param: Float32Array,
    grad: Float32Array,
    buffer: Float32Array | null,
    hyper: SgdHyper,
  ): { param: Float32Array; buffer: Float32Array };
  /** Stops worker threads and frees native resources. */
  dispose(): void;
}

/** SGD hyper-parameters of one update. */
export interface SgdHyper {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Coefficient of the L1 subgradient (Network Slimming's lambda; 0 for non-gamma tensors). */
  readonly l1: number;
  /** Nesterov momentum: the step is `d + momentum * buf` instead of `buf`. */
  readonly nesterov?: boolean;
}

/** Sizes and transposes of a {@linkcode KernelLib.matMul}. */
export interface MatMulDims {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** `a` is stored [k, m] and used transposed. */
  readonly transposeA: boolean;
  /** `b` is stored [n, k] and used transposed. */
  readonly transposeB: boolean;
}

/**
 * A KxK conv's sizes: input [n, h, w, cin], weight HWIO [kh, kw, cin, cout], one stride both
 * ways, zero padding `padTop`/`padLeft` (the rest implied by the output size [ho, wo]).
 */
export interface ConvGeometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  readonly kh: number;
  readonly kw: number;
  readonly cout: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly ho: number;
  readonly wo: number;
}

/** The twelve integers of a {@linkcode ConvGeometry}, in the C kernels' argument order. */
export type GeometryArgs = [
  n: number,
  h: number,
  w: number,
  cin: number,
  kh: number,
  kw: number,
  cout: number,
  stride: number,
  padTop: number,
  padLeft: number,
  ho: number,
  wo: number,
];

/** The geometry as the C kernels' integer arguments after the input/weight pointers. */
export function geometryArgs(g: ConvGeometry): GeometryArgs {
  return [g.n, g.h, g.w, g.cin, g.kh, g.kw, g.cout, g.stride, g.padTop, g.padLeft, g.ho, g.wo];
}
