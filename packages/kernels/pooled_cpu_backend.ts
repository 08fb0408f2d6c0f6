/**
 * The stock tfjs cpu backend with a pool of output buffers for the kernels' outputs.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

/**
 * Most bytes of idle output buffers a backend keeps for reuse: a quarter of the machine's
 * memory (1 GiB where it cannot be read), at most 16 GiB. Between two training steps the pool
 * holds what one step used at its peak (ResNet-164 at batch 64: several GiB); a smaller cap
 * drops buffers every step, and their fresh replacements cost a page fault per 4 KiB on first
 * write (on some virtual machines ~20 us each: seconds per step).
 */
export function maxPooledBytes(): number {
  let total = 0;
  try {
    total = Deno.systemMemoryInfo().total;
  } catch {
    // No sys permission: keep the fallback.
  }
  return total > 0 ? Math.min(total / 4, 2 ** 34) : 2 ** 30;
}

/**
 * The stock cpu backend with a pool of output buffers. A training step allocates the same
 * sizes every time; reusing freed buffers avoids the page faults and zeroing of fresh
 * allocations (which cost as much as the small convolutions themselves; see
 * {@linkcode maxPooledBytes}). Only buffers from
 * {@linkcode PooledCpuBackend.allocate} are pooled; reads of them return copies, so an array
 * a caller got from `dataSync()` never changes under it.
 */
export class PooledCpuBackend extends MathBackendCPU {
  readonly #free = new Map<number, Float32Array[]>();
  /** Pool-born arrays, with the number of live tensor data entries holding each. */
  readonly #holders = new WeakMap<Float32Array, number>();
  #pooledBytes = 0;
  readonly #maxPooledBytes = maxPooledBytes();

  constructor() {
    super();
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A buffer of `length` floats, reused when one is free (contents undefined). */
  allocate(length: number): Float32Array {
    const reused = this.#free.get(length)?.pop();
    if (reused) this.#pooledBytes -= reused.byteLength;
    const array = reused ?? new Float32Array(length);
    this.#holders.set(array, 0);
    return array;
  }

  #hold(values: unknown): void {
    const count = this.#holders.get(values as Float32Array);
    if (count !== undefined) this.#holders.set(values as Float32Array, count + 1);
  }

  override write(
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
  ): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.#hold(values);
    return id;
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.#hold(values);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values as Float32Array | undefined;
    const released = super.disposeData(dataId, force);
    if (released && values && !this.data.has(dataId)) {
      const count = this.#holders.get(values);
      if (count !== undefined) {
        if (count > 1) this.#holders.set(values, count - 1);
        else this.#recycle(values);
      }
    }
    return released;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return this.#holders.has(values as Float32Array) ? (values as Float32Array).slice() : values;
  }

  #recycle(array: Float32Array): void {
    this.#holders.delete(array);
    if (this.#pooledBytes + array.byteLength > this.#maxPooledBytes) return;
    const list = this.#free.get(array.length) ?? [];
    list.push(array);
    this.#free.set(array.length, list);
    this.#pooledBytes += array.byteLength;
  }
}
