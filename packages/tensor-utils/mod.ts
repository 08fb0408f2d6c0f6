/**
 * Parameter trees, the fused-or-stock layer ops, and (re-exported from `./core`) typed user
 * errors, seeded randomness, atomic files and safetensors. Knows nothing of VGG, CIFAR,
 * pruning or the kernels that implement the fused ops (`@slimming/kernels`). Importing it
 * loads tfjs but changes none of its global state.
 *
 * @module
 */

/** Everything of the tfjs-free `@slimming/tensor-utils/core`. */
export {
  CheckpointError,
  createRng,
  DataError,
  type DecodeOptions,
  decodeSafetensors,
  deriveSeed,
  DivergenceError,
  encodeSafetensors,
  exitCodeOf,
  f32,
  MAX_HEADER_BYTES,
  type NamedArray,
  permutation,
  readJsonIfExists,
  readSafetensors,
  removeStaleTempFiles,
  type Rng,
  type SafetensorsData,
  type SafetensorsDtype,
  safetensorsDtypeOf,
  type SafetensorsFile,
  selectedChannels,
  sha256Hex,
  type StateDictReader,
  stateDictReader,
  UsageError,
  userErrorExitCodes,
  WriteError,
  writeFileAtomic,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from "./core.ts";
export { exists, existsSync, median } from "./core.ts";
/** Parameter trees: map, flatten to named tensors and back, dispose, keep, clone. */
export {
  cloneTree,
  disposeTree,
  flattenTree,
  keepTree,
  mapTree,
  replaceLeaves,
  type Tree,
  treeLeaves,
  treeSize,
} from "./tree.ts";
/** The layer ops: a fused kernel where the backend has one, stock tfjs ops elsewhere. */
export {
  avgPool2x2,
  type BatchNormState,
  type BnOptions,
  bnRelu,
  bnReluConv1x1,
  conv3x3BnRelu,
  type ConvBnReluResult,
  FUSED,
  hasFusedKernel,
  maxPool2x2,
} from "./ops.ts";
/** Batch norm without a ReLU and the residual add -> ReLU, fused where the backend can. */
export { addRelu, bn } from "./bn.ts";
/** PyTorch state_dict layouts: OIHW conv weights, vectors, int64 scalars. */
export { int64Scalar, oihwArray, vectorArray } from "./torch_layout.ts";
/** The operations the command line needs from an architecture. */
export type { ForwardOptions, ForwardResult, ModelOps, RunningStats } from "./model.ts";
