/**
 * Counting what a piece of code asks of the GPU: compute dispatches, queue submits and
 * buffer creations, by wrapping the WebGPU prototypes (once, process-wide; the wrappers only
 * increment counters).
 *
 * @module
 */

/** What {@linkcode countLaunches} counted. */
export interface LaunchCounts {
  dispatches: number;
  submits: number;
  buffersCreated: number;
}

const counts: LaunchCounts = { dispatches: 0, submits: 0, buffersCreated: 0 };
let installed = false;

// deno-lint-ignore no-explicit-any
function wrap(proto: any, method: string, key: keyof LaunchCounts): void {
  const original = proto?.[method];
  if (typeof original !== "function") return;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return original.apply(this, args);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, { prototype: unknown } | undefined>;
  wrap(g.GPUComputePassEncoder?.prototype, "dispatchWorkgroups", "dispatches");
  wrap(g.GPUComputePassEncoder?.prototype, "dispatchWorkgroupsIndirect", "dispatches");
  wrap(g.GPUQueue?.prototype, "submit", "submits");
  wrap(g.GPUDevice?.prototype, "createBuffer", "buffersCreated");
}

/** Runs `fn` and says how many dispatches, submits and buffer creations it made. */
export async function countLaunches(fn: () => unknown): Promise<LaunchCounts> {
  install();
  const before = { ...counts };
  await fn();
  return {
    dispatches: counts.dispatches - before.dispatches,
    submits: counts.submits - before.submits,
    buffersCreated: counts.buffersCreated - before.buffersCreated,
  };
}
