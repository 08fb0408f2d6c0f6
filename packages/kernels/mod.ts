/**
 * The training kernels this project owns, as tfjs backends: C sources (`src/`) built
 * natively on first use (`native`, through Deno FFI) or as committed WebAssembly SIMD run on
 * a worker pool (`wasm-simd`), registered as the fused ops of `@slimming/tensor-utils`
 * (conv3x3 + BN + ReLU, pre-activation BN + ReLU, their inference forms, SGD) plus
 * replacements of tfjs's conv (3x3, 1x1, others by patches), pooling, matmul, channel
 * gather/concat/split and same-shape add kernels; and the choice of backend.
 *
 * @module
 */

/** Backend selection: start one and make it tfjs's active backend. */
export {
  /** The backends this project can run on. */
  BACKEND_NAMES,
  /** One of the backend names. */
  type BackendChoice,
  /** The backend in use and what runs it. */
  type BackendInfo,
  /** Stops kernel worker threads and unloads native libraries (call before exiting). */
  disposeBackends,
  /** Silences tfjs's console notices; the CLI calls it once at start (so does useBackend). */
  quietTfjs,
  /** Makes a backend tfjs's active one (`auto`: native, else wasm-simd). */
  useBackend,
  /** Options of useBackend. */
  type UseBackendOptions,
  /** Bytes the wasm-simd kernels copied into and out of the module's memory so far. */
  wasmCopyCounts,
} from "./select.ts";
/** The wasm-simd backend's tensor memory: a heap inside the module's memory. */
export { type CopyCounts, WasmHeap } from "./wasm_heap.ts";
/** The kernel backends' tfjs backend: the cpu backend with pooled (wasm-simd: heap) buffers. */
export { PooledCpuBackend } from "./pooled_cpu_backend.ts";

/** The array-level kernel interface both builds implement. */
export type {
  /** Outputs of the BN + ReLU backward. */
  BnReluGradArrays,
  /** Outputs of the fused training forward. */
  ConvBnReluArrays,
  /** The kernels on plain arrays. */
  KernelLib,
  /** Sizes and transposes of a matmul. */
  MatMulDims,
  /** Image batch shape [n, height, width, channels]. */
  Nhwc,
  /** SGD hyper-parameters of one update. */
  SgdHyper,
} from "./kernel_lib.ts";

/** The two builds, loaded directly (useBackend does this for you). */
export {
  /** Compiles (once per machine) or finds the native library. */
  buildNativeLibrary,
  /** Compiler flags of the default (OpenMP) native build. */
  NATIVE_FLAGS,
  /** Compiler flags of the native build for a threading and CPU target flag. */
  nativeFlags,
  /** A built native library: its path, threading and flags. */
  type NativeLibraryBuild,
  /** The CPU target flag of a native build. */
  type NativeTarget,
  /** How the native library runs its threads: OpenMP or our own pthread pool. */
  type Threading,
} from "./native_build.ts";
export {
  /** Loads the native kernels, or says why not. */
  loadNativeLib,
} from "./native_lib.ts";
export {
  /** Starts the WebAssembly kernels on a worker pool. */
  loadWasmLib,
  /** The committed WebAssembly build. */
  WASM_URL,
} from "./wasm_lib.ts";

/** Registration as a tfjs backend. */
export {
  /** Registers a tfjs backend named after a KernelLib. */
  registerSlimBackend,
} from "./slim_backend.ts";
/** WebGPU: the adapter probe (software adapters such as llvmpipe flagged) and a launch counter. */
export { isSoftwareAdapter, probeWebgpu, type WebgpuProbe } from "./webgpu/adapter.ts";
export { countLaunches, type LaunchCounts } from "./webgpu/launch_counter.ts";
