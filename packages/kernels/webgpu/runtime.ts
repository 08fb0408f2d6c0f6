/**
 * Running our own WGSL on the tfjs webgpu backend's device and command stream: output
 * tensors from its buffer pool, pipelines compiled once per shader text, uniform buffers
 * created once per value set, dispatches recorded into the backend's open compute pass (so
 * ours and stock kernels share submits and the backend's deferred buffer release).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-webgpu's `WebGPUBackend` this module uses (its public fields). */
export interface GpuBackend {
  readonly device: GPUDevice;
  readonly tensorMap: {
    get(dataId: tf.DataId): { resource: GPUBuffer | null } | undefined;
  };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<tf.DataId>;
  dispatchCountInPass: number;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const uniforms = new WeakMap<GPUDevice, Map<string, GPUBuffer>>();
/** Most cached uniform buffers per device (they hold a few floats each). */
const MAX_UNIFORMS = 4096;

/** Dispatches recorded before the backend submits (tfjs's default is 15). */
let submitEvery = 64;

/** Sets how many dispatches are recorded per submit (≥ 1). */
export function setSubmitBatch(dispatches: number): void {
  submitEvery = Math.max(1, Math.floor(dispatches));
}

function pipelineFor(device: GPUDevice, code: string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, cache = new Map());
  let pipeline = cache.get(code);
  if (!pipeline) {
    const module = device.createShaderModule({ code });
    pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "main" },
    });
    cache.set(code, pipeline);
  }
  return pipeline;
}

function uniformFor(device: GPUDevice, values: readonly number[]): GPUBuffer {
  let cache = uniforms.get(device);
  if (!cache) uniforms.set(device, cache = new Map());
  const data = new Float32Array(Math.max(4, Math.ceil(values.length / 4) * 4));
  data.set(values);
  const key = Array.from(new Uint32Array(data.buffer)).join(",");
  let buffer = cache.get(key);
  if (!buffer) {
    if (cache.size >= MAX_UNIFORMS) {
      for (const b of cache.values()) b.destroy();
      cache.clear();
    }
    buffer = device.createBuffer({
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(buffer, 0, data);
    cache.set(key, buffer);
  }
  return buffer;
}

/** A new float32 tensor on the GPU (contents undefined until a kernel writes all of it). */
export function newOutput(backend: GpuBackend, shape: number[]): tf.TensorInfo {
  const info = backend.makeTensorInfo(shape, "float32");
  backend.uploadToGPU(info.dataId);
  return info;
}

/** One dispatch of a compiled shader. */
export interface Dispatch {
  /** WGSL; its bindings are 0..n-1 for `inputs` then `outputs`, then the uniform block. */
  readonly code: string;
  readonly inputs: readonly tf.TensorInfo[];
  readonly outputs: readonly tf.TensorInfo[];
  /** f32 values of the uniform block (binding n), if the shader has one. */
  readonly uniform?: readonly number[];
  readonly groups: readonly [number, number, number];
}

/** Records `d` into the backend's compute pass (submitting every few dispatches). */
export function dispatch(backend: GpuBackend, d: Dispatch): void {
  const device = backend.device;
  const pipeline = pipelineFor(device, d.code);
  const entries: GPUBindGroupEntry[] = [];
  for (const t of [...d.inputs, ...d.outputs]) {
    backend.uploadToGPU(t.dataId);
    backend.commandQueueOwnedIds.add(t.dataId);
    const buffer = backend.tensorMap.get(t.dataId)?.resource;
    if (!buffer) throw new Error("webgpu kernel: a tensor has no GPU buffer");
    entries.push({ binding: entries.length, resource: { buffer } });
  }
  if (d.uniform) {
    entries.push({ binding: entries.length, resource: { buffer: uniformFor(device, d.uniform) } });
  }
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  backend.ensureCommandEncoderReady();
  if (!backend.computePassEncoder) {
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass();
  }
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
  if (++backend.dispatchCountInPass >= submitEvery) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** WGSL declarations of the bindings of a {@linkcode Dispatch}. */
export function bindings(
  inputs: readonly string[],
  outputs: readonly string[],
  uniform?: string,
): string {
  const lines: string[] = [];
  let i = 0;
  for (const input of inputs) {
    // "name:vec4" binds the same buffer as array<vec4<f32>>.
    const [name, vec] = input.split(":");
    const type = vec === "vec4" ? "vec4<f32>" : "f32";
    lines.push(`@group(0) @binding(${i++}) var<storage, read> ${name}: array<${type}>;`);
  }
  for (const name of outputs) {
    lines.push(`@group(0) @binding(${i++}) var<storage, read_write> ${name}: array<f32>;`);
  }
  if (uniform) lines.push(`struct U { ${uniform} };\n@group(0) @binding(${i}) var<uniform> u: U;`);
  return lines.join("\n");
}

/** A float literal WGSL accepts. */
export function f32(value: number): string {
  const s = String(Math.fround(value));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
