/**
 * Choosing and starting the tfjs backend that trains: `native` (C kernels through FFI),
 * `wasm-simd` (the same kernels as WebAssembly SIMD on a worker pool), `webgpu` (our WGSL
 * kernels on tfjs-webgpu, see `webgpu/`), or stock tfjs backends (`cpu`, `wasm`) for
 * comparison. `auto` takes the fastest CPU backend that starts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UsageError } from "@slimming/tensor-utils/core";
import type { KernelLib } from "./kernel_lib.ts";
import { loadNativeLib } from "./native_lib.ts";
import { registerSlimBackend } from "./slim_backend.ts";
import { type CopyCounts, WasmHeap } from "./wasm_heap.ts";
import { loadWasmLib } from "./wasm_lib.ts";
import { probeWebgpu } from "./webgpu/adapter.ts";
import { registerWebgpuKernels } from "./webgpu/register.ts";

/** Backends this project can run on. */
export const BACKEND_NAMES = ["auto", "native", "wasm-simd", "cpu", "wasm", "webgpu"] as const;

/** One of {@linkcode BACKEND_NAMES}. */
export type BackendChoice = typeof BACKEND_NAMES[number];

/** The backend in use and what runs it. */
export interface BackendInfo {
  readonly name: string;
  readonly description: string;
  /** Why faster choices were passed over (for `auto`). */
  readonly skipped: string[];
}

const libs = new Map<string, KernelLib>();
let silenced = false;

/** Silences tfjs's console notices (the "running in Node.js" banner) once. */
export function quietTfjs(): void {
  if (silenced) return;
  silenced = true;
  tf.env().set("PROD", true);
}

/** Options of {@linkcode useBackend}. */
export interface UseBackendOptions {
  /** Kernel threads (default: all cores). */
  readonly threads?: number;
  /** Receives one-line notices (building native kernels). */
  readonly log?: (line: string) => void;
}

/**
 * `threads` capped to the cores this process may use: more threads than cores only queue for
 * them (OpenMP's barriers then wait on threads that are not running); a notice says so.
 */
export function cappedThreads(
  threads: number | undefined,
  log?: (line: string) => void,
): number | undefined {
  const cores = navigator.hardwareConcurrency ?? 1;
  if (threads === undefined || threads <= cores) return threads;
  log?.(`note: --threads ${threads} is more than the ${cores} cores here: using ${cores}`);
  return cores;
}

/**
 * OpenMP threads that wait passively (sleep at once at a barrier instead of spinning for a
 * while): on a machine where other processes want the cores, spinning threads burn the time
 * slices the threads being waited for need. libgomp reads this when the native library loads,
 * so it is set (unless the user set it) before. Kept: a user's own OMP_WAIT_POLICY.
 */
function preferPassiveOpenMp(): void {
  try {
    if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  } catch {
    // No env permission: libgomp keeps its default policy.
  }
}

async function startSlim(
  name: "native" | "wasm-simd",
  options: UseBackendOptions,
): Promise<string | KernelLib> {
  const existing = libs.get(name);
  if (existing) return existing;
  if (name === "native") preferPassiveOpenMp();
  const lib = name === "native" ? await loadNativeLib(options) : await loadWasmLib(options);
  if ("error" in lib) return lib.error;
  libs.set(name, lib);
  registerSlimBackend(lib);
  return lib;
}

async function startStock(name: "cpu" | "wasm"): Promise<string | undefined> {
  if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).href);
  }
  return undefined;
}

/**
 * Starts tfjs-webgpu on the adapter with our WGSL kernels (the stock kernels alone when
 * SLIMMING_WEBGPU_STOCK=1, for comparison); a string says why not.
 */
async function startWebgpu(): Promise<string | { description: string }> {
  const probe = await probeWebgpu();
  if (typeof probe === "string") return probe;
  await import("@tensorflow/tfjs-backend-webgpu");
  const stock = Deno.env.get("SLIMMING_WEBGPU_STOCK") === "1";
  if (!stock) registerWebgpuKernels();
  return {
    description: `${
      stock ? "stock tfjs webgpu kernels" : "our WGSL kernels on tfjs-webgpu"
    } on ${probe.description}${probe.software ? " (software rasteriser)" : ""}`,
  };
}

/**
 * Makes `choice` the active tfjs backend and says what runs it. `auto` tries `native`, then
 * `wasm-simd` (never `webgpu`, whose speed on a real GPU is unmeasured, and never a software
 * adapter such as llvmpipe). An unknown name, or a backend that cannot start here, is a
 * UsageError naming why.
 */
export async function useBackend(
  choice: string,
  options: UseBackendOptions = {},
): Promise<BackendInfo> {
  quietTfjs();
  options = { ...options, threads: cappedThreads(options.threads, options.log) };
  if (!(BACKEND_NAMES as readonly string[]).includes(choice)) {
    throw new UsageError(`unknown backend "${choice}" (choose ${BACKEND_NAMES.join(", ")})`);
  }
  const skipped: string[] = [];
  const candidates = choice === "auto" ? ["native", "wasm-simd"] : [choice];
  for (const name of candidates) {
    let description: string;
    if (name === "native" || name === "wasm-simd") {
      const lib = await startSlim(name, options);
      if (typeof lib === "string") {
        skipped.push(`${name}: ${lib}`);
        continue;
      }
      description = lib.description;
    } else if (name === "webgpu") {
      const gpu = await startWebgpu();
      if (typeof gpu === "string") {
        skipped.push(`${name}: ${gpu}`);
        continue;
      }
      description = gpu.description;
    } else {
      const why = await startStock(name as "cpu" | "wasm");
      if (why) {
        skipped.push(`${name}: ${why}`);
        continue;
      }
      description = `stock tfjs ${name} backend`;
    }
    if (!(await tf.setBackend(name))) {
      skipped.push(`${name}: tfjs could not initialise it`);
      continue;
    }
    return { name, description, skipped };
  }
  throw new UsageError(`no usable backend: ${skipped.join("; ")}`);
}

/**
 * The bytes the started wasm-simd backend has copied into and out of the module's memory so
 * far (its tensors live there, so only arrays from elsewhere are copied); undefined before it
 * starts.
 */
export function wasmCopyCounts(): Readonly<CopyCounts> | undefined {
  const arena = libs.get("wasm-simd")?.arena;
  return arena instanceof WasmHeap ? arena : undefined;
}

/** Stops kernel worker threads and unloads native libraries (call before exiting). */
export function disposeBackends(): void {
  for (const lib of libs.values()) lib.dispose();
  libs.clear();
}
