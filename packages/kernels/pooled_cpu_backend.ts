/**
 * The stock tfjs cpu backend with a pool of output buffers for the kernels' outputs.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BufferArena } from "./kernel_lib.ts";

/**
 * Most bytes of idle output buffers a backend keeps for reuse: a quarter of the machine's
 * memory, at least 1 GiB and at most 8 GiB (1 GiB when the memory size cannot be read).
 * DenseNet-40 frees ~3 GiB of activations per training step at batch 64; with a 1 GiB pool
 * most of them were allocated afresh every step (measured: 4-17 s a step instead of 1.6 s,
 * the difference page faults and collection).
 */
export function defaultPoolBytes(): number {
  const GiB = 2 ** 30;
  try {
    const total = Deno.systemMemoryInfo().total;
    return Math.min(8 * GiB, Math.max(GiB, Math.floor(total / 4)));
  } catch {
    return GiB;
  }
}

/**
 * The stock cpu backend with a pool of output buffers. A training step allocates the same
 * sizes every time; reusing freed buffers avoids the page faults and zeroing of fresh
 * allocations (which cost as much as the small convolutions themselves). Only buffers from
 * {@linkcode PooledCpuBackend.allocate} are pooled; reads of them return copies, so an array
 * a caller got from `dataSync()` never changes under it.
 *
 * With an {@linkcode BufferArena} (the WebAssembly kernels' memory), new buffers are views of
 * the arena's memory, evicted ones go back to it, and when it is full the idle buffers are
 * given back and, failing that, an ordinary array is used (the kernels copy those). Reads of
 * arena memory are copies too, so callers never see a SharedArrayBuffer.
 */
export class PooledCpuBackend extends MathBackendCPU {
  readonly #free = new Map<number, Float32Array[]>();
  /** The idle arrays, least recently freed first (evicted first when the pool is full). */
  readonly #idle = new Set<Float32Array>();
  /** Pool-born arrays, with the number of live tensor data entries holding each. */
  readonly #holders = new WeakMap<Float32Array, number>();
  #pooledBytes = 0;
  readonly #maxBytes: number;
  /** Where new buffers come from (absent: the JS heap). */
  readonly arena: BufferArena | undefined;

  /** A backend keeping at most `maxPooledBytes` of idle buffers, taken from `arena` if given. */
  constructor(maxPooledBytes: number = defaultPoolBytes(), arena?: BufferArena) {
    super();
    this.#maxBytes = maxPooledBytes;
    this.arena = arena;
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A buffer of `length` floats, reused when one is free (contents undefined). */
  allocate(length: number): Float32Array {
    const reused = this.#free.get(length)?.pop();
    if (reused) {
      this.#pooledBytes -= reused.byteLength;
      this.#idle.delete(reused);
    }
    const array = reused ?? this.#fresh(length);
    this.#holders.set(array, 0);
    return array;
  }

  /** A new buffer: from the arena (giving the idle buffers back to it once if full), else JS. */
  #fresh(length: number): Float32Array {
    const arena = this.arena;
    if (!arena) return new Float32Array(length);
    let array = arena.allocate(length);
    if (!array && this.#idle.size > 0) {
      for (const old of [...this.#idle]) this.#evict(old);
      array = arena.allocate(length);
    }
    return array ?? new Float32Array(length);
  }

  /**
   * The values of `dataId`; float32 values that lie outside the arena (user data, a stock
   * kernel's output) are first moved into it, so the kernels copy each such tensor once
   * instead of at every use. Without an arena, or when it is full, the values as they are.
   */
  adopt(dataId: tf.DataId): tf.backend_util.BackendValues | undefined {
    const entry = this.data.get(dataId)!;
    const values = entry.values;
    const arena = this.arena;
    if (
      !arena || !(values instanceof Float32Array) || arena.contains(values) ||
      this.#holders.has(values)
    ) {
      return values;
    }
    const moved = arena.adopt(values);
    if (!moved) return values;
    this.#holders.set(moved, 1);
    entry.values = moved;
    return moved;
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
    const copy = this.#holders.has(values as Float32Array) ||
      (this.arena !== undefined && ArrayBuffer.isView(values) && this.arena.contains(values));
    return copy ? (values as Float32Array).slice() : values;
  }

  /** Bytes of idle buffers held for reuse. */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /**
   * Keeps a freed array for reuse, evicting the least recently freed ones while the pool
   * would exceed its size (so a new workload, e.g. inference after training, takes over the
   * pool instead of allocating afresh).
   */
  #recycle(array: Float32Array): void {
    this.#holders.delete(array);
    if (array.byteLength > this.#maxBytes) {
      this.arena?.free(array);
      return;
    }
    for (const old of this.#idle) {
      if (this.#pooledBytes + array.byteLength <= this.#maxBytes) break;
      this.#evict(old);
    }
    const list = this.#free.get(array.length) ?? [];
    list.push(array);
    this.#free.set(array.length, list);
    this.#idle.add(array);
    this.#pooledBytes += array.byteLength;
  }

  #evict(array: Float32Array): void {
    const list = this.#free.get(array.length)!;
    list.splice(list.indexOf(array), 1);
    if (list.length === 0) this.#free.delete(array.length);
    this.#idle.delete(array);
    this.#pooledBytes -= array.byteLength;
    this.arena?.free(array);
  }
}
