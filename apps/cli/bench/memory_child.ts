/**
 * One `bench --memory` measurement, in a process of its own so that its peak resident memory
 * is the model's alone: trains the model the JSON argument names for some steps on random
 * data and prints one JSON line, `{"peakBytes", "imagesPerSecond", "tensorsBefore",
 * "tensorsAfter"}` (peak resident memory from /proc/self/status, 0 where there is none).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "@slimming/kernels";
import { architecture } from "@slimming/architectures";
import { timeTraining } from "./timing.ts";

/** What the parent asks for. */
export interface MemoryRequest {
  readonly arch: string;
  readonly depth: number;
  readonly width: number;
  readonly backend: string;
  readonly threads: number;
  readonly batch: number;
  readonly steps: number;
  readonly classes: number;
}

/** Peak resident bytes of this process (VmHWM), or 0 where /proc is absent. */
export function peakResidentBytes(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    return Number(status.match(/^VmHWM:\s*(\d+)\s*kB/m)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

if (import.meta.main) {
  const request = JSON.parse(Deno.args[0]) as MemoryRequest;
  await useBackend(request.backend, { threads: request.threads, log: () => {} });
  const arch = architecture(request.arch);
  const spec = arch.specFor({ depth: request.depth, width: request.width });
  const params = arch.init(spec, { seed: 1, numClasses: request.classes });
  const tensorsBefore = tf.memory().numTensors;
  const imagesPerSecond = await timeTraining(params, request.batch, request.steps);
  console.log(JSON.stringify({
    peakBytes: peakResidentBytes(),
    imagesPerSecond,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
  }));
  // The wasm-simd backend's worker threads would keep the process alive.
  Deno.exit(0);
}
