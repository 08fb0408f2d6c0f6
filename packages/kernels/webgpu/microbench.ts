/**
 * The fixed costs of Deno's WebGPU on this machine's adapter: one empty compute dispatch,
 * one queue submit (with and without waiting for it), one buffer creation; medians over many.
 *
 *   deno run -A packages/kernels/webgpu/microbench.ts [--json]
 *
 * @module
 */
import { median } from "@slimming/tensor-utils/core";
import { ensureRuntimeDir } from "./adapter.ts";

/** Microseconds per operation (medians of repeated timed batches). */
export interface LaunchCosts {
  readonly adapter: string;
  /** One `dispatchWorkgroups(1)` of an empty shader with its setPipeline/setBindGroup, encoded in a shared pass, submitted and finished in a batch. */
  readonly dispatchUs: number;
  /** Encoding, submitting and waiting for one command buffer holding one empty dispatch. */
  readonly submitAndWaitUs: number;
  /** One submit of a one-dispatch command buffer, many submits per wait. */
  readonly submitUs: number;
  /** `createBuffer` of 64 KiB storage + `destroy`. */
  readonly bufferCreateUs: number;
  /** `createBindGroup` with one storage buffer. */
  readonly bindGroupUs: number;
}

/** Times `batch` operations `rounds` times; the median per operation, in microseconds. */
async function perOp(rounds: number, batch: number, run: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    await run();
    samples.push(((performance.now() - start) * 1000) / batch);
  }
  return median(samples);
}

/** Measures {@linkcode LaunchCosts} on the default adapter; a string when there is none. */
export async function measureLaunchCosts(rounds = 15): Promise<LaunchCosts | string> {
  ensureRuntimeDir();
  const gpu = (navigator as unknown as { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return "no WebGPU adapter";
  const device = await adapter.requestDevice();
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> b: array<f32>;
      @compute @workgroup_size(1) fn main() { if (b[0] > 1e30) { b[0] = 0.0; } }`,
  });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const buffer = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer } }],
  });
  const encodeDispatches = (count: number) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < count; i++) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    return encoder.finish();
  };
  const many = 1000, few = 100;
  // Warm-up: compiles the pipeline and starts the driver's threads.
  device.queue.submit([encodeDispatches(many)]);
  await device.queue.onSubmittedWorkDone();
  // Dispatch cost beyond that of an empty pass: (N dispatches - 1 dispatch) / (N - 1).
  const one = await perOp(rounds, 1, async () => {
    device.queue.submit([encodeDispatches(1)]);
    await device.queue.onSubmittedWorkDone();
  });
  const batch = await perOp(rounds, 1, async () => {
    device.queue.submit([encodeDispatches(many)]);
    await device.queue.onSubmittedWorkDone();
  });
  const submitUs = await perOp(rounds, few, async () => {
    for (let i = 0; i < few; i++) device.queue.submit([encodeDispatches(1)]);
    await device.queue.onSubmittedWorkDone();
  });
  const bufferCreateUs = await perOp(rounds, few, () => {
    for (let i = 0; i < few; i++) {
      device.createBuffer({
        size: 65536,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      }).destroy();
    }
    return Promise.resolve();
  });
  const bindGroupUs = await perOp(rounds, few, () => {
    for (let i = 0; i < few; i++) {
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer } }],
      });
    }
    return Promise.resolve();
  });
  buffer.destroy();
  device.destroy();
  const info = (adapter as unknown as { info?: { description?: string } }).info;
  return {
    adapter: info?.description ?? "unknown adapter",
    dispatchUs: (batch - one) / (many - 1),
    submitAndWaitUs: one,
    submitUs,
    bufferCreateUs,
    bindGroupUs,
  };
}

if (import.meta.main) {
  const costs = await measureLaunchCosts();
  if (typeof costs === "string") {
    console.error(`error: ${costs}`);
    Deno.exit(2);
  }
  if (Deno.args.includes("--json")) console.log(JSON.stringify(costs, null, 2));
  else {
    console.log(`adapter: ${costs.adapter}`);
    for (const [k, v] of Object.entries(costs)) {
      if (typeof v === "number") console.log(`${k.padEnd(16)} ${v.toFixed(2).padStart(9)} us`);
    }
  }
}
