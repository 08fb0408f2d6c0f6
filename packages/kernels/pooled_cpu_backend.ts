/**
 * The stock tfjs cpu backend with a pool of output buffers for the kernels' outputs.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BufferArena } from "./kernel_lib.ts";

/**
 * Most bytes of idle output buffers a backend keeps for reuse at any time: a quarter of the
 * machine's memory, at least 1 GiB and at most 8 GiB (1 GiB when the memory size cannot be
 * read). A ceiling only: in training the pool holds what a step uses (see
 * {@linkcode PooledCpuBackend.endStep}), e.g. 1.4 GB for DenseNet-40 at batch 64.
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
 * How much larger than a request an idle buffer may be and still serve it (as a view of its
 * first floats). DenseNet's concatenations grow by one growth rate per layer, so the buffers
 * the backward pass frees are a little larger than those it asks for next.
 */
export const REUSE_SLACK = 1.5;

/**
 * The stock cpu backend with a pool of output buffers. A training step allocates the same
 * sizes every time; reusing freed buffers avoids the page faults and zeroing of fresh
 * allocations (which cost as much as the small convolutions themselves). Only buffers from
 * {@linkcode PooledCpuBackend.allocate} are pooled; reads of them return copies, so an array
 * a caller got from `dataSync()` never changes under it.
 *
 * A request is served by the smallest idle buffer of at least its size and at most
 * {@linkcode REUSE_SLACK} times it (a view of its first floats). The pool is sized from what
 * the steps need: at the end of each training step ({@linkcode PooledCpuBackend.endStep}) the
 * idle buffers the step did not use are given back, so a step reuses the previous one's and
 * allocates nothing. It never holds more than `maxPooledBytes` idle: past that the least
 * recently freed buffers are given back.
 *
 * With an {@linkcode BufferArena} (the WebAssembly kernels' memory), new buffers are views of
 * the arena's memory, evicted ones go back to it, and when it is full the idle buffers are
 * given back and, failing that, an ordinary array is used (the kernels copy those). Reads of
 * arena memory are copies too, so callers never see a SharedArrayBuffer.
 */
export class PooledCpuBackend extends MathBackendCPU {
  /** Idle buffers by length, each list least recently freed first. */
  readonly #free = new Map<number, Float32Array[]>();
  /** The lengths in `#free`, ascending. */
  readonly #lengths: number[] = [];
  /** The idle arrays, least recently freed first (evicted first when the pool is full). */
  readonly #idle = new Set<Float32Array>();
  /** Pool-born arrays, with the number of live tensor data entries holding each. */
  readonly #holders = new WeakMap<Float32Array, number>();
  /** The pooled buffer behind each view handed out for a shorter request. */
  readonly #baseOf = new WeakMap<Float32Array, Float32Array>();
  #pooledBytes = 0;
  #liveBytes = 0;
  #freshBytes = 0;
  /** The step each buffer was last handed out in (see {@linkcode PooledCpuBackend.endStep}). */
  readonly #lastUse = new WeakMap<Float32Array, number>();
  #step = 0;
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
    let base = this.#takeIdle(length);
    if (!base) {
      base = this.#fresh(length);
      this.#freshBytes += base.byteLength;
    }
    this.#liveBytes += base.byteLength;
    this.#lastUse.set(base, this.#step);
    let array = base;
    if (base.length !== length) {
      array = new Float32Array(base.buffer, base.byteOffset, length);
      this.#baseOf.set(array, base);
    }
    this.#holders.set(array, 0);
    return array;
  }

  /** The index of the first idle length >= `length` in `#lengths` (its length if none). */
  #lowerBound(length: number): number {
    const lengths = this.#lengths;
    let lo = 0, hi = lengths.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lengths[mid] < length) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The smallest idle buffer that can serve `length` floats, taken out of the pool. */
  #takeIdle(length: number): Float32Array | undefined {
    const lengths = this.#lengths;
    const lo = this.#lowerBound(length);
    if (lo === lengths.length || lengths[lo] > length * REUSE_SLACK) return undefined;
    const list = this.#free.get(lengths[lo])!;
    const base = list.pop()!;
    if (list.length === 0) this.#dropLength(lengths[lo]);
    this.#pooledBytes -= base.byteLength;
    this.#idle.delete(base);
    return base;
  }

  #dropLength(length: number): void {
    this.#free.delete(length);
    this.#lengths.splice(this.#lengths.indexOf(length), 1);
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
    this.#liveBytes += moved.byteLength;
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

  /** Bytes of pool-born buffers held by tensors (a view counts its whole buffer). */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Bytes of buffers allocated afresh so far (not served from the pool). */
  get freshBytes(): number {
    return this.#freshBytes;
  }

  /**
   * Marks the end of a step (a training step, or an evaluation batch). Idle buffers that were
   * not handed out since the previous mark are given back: the pool keeps what a step needs,
   * and what another workload left (evaluation, a model no longer trained) goes at the end of
   * the first step that does not use it.
   */
  endStep(): void {
    this.#step++;
    for (const old of this.#idle) {
      if (this.#lastUse.get(old)! < this.#step - 1) this.#evict(old);
    }
  }

  /** Keeps a freed array for reuse, giving back older idle buffers if the pool is full. */
  #recycle(array: Float32Array): void {
    this.#holders.delete(array);
    const base = this.#baseOf.get(array) ?? array;
    this.#liveBytes -= base.byteLength;
    if (base.byteLength > this.#maxBytes) {
      this.arena?.free(base);
      return;
    }
    for (const old of this.#idle) {
      if (this.#pooledBytes + base.byteLength <= this.#maxBytes) break;
      this.#evict(old);
    }
    let list = this.#free.get(base.length);
    if (!list) {
      list = [];
      this.#free.set(base.length, list);
      this.#lengths.splice(this.#lowerBound(base.length), 0, base.length);
    }
    list.push(base);
    this.#idle.add(base);
    this.#pooledBytes += base.byteLength;
  }

  #evict(array: Float32Array): void {
    const list = this.#free.get(array.length)!;
    list.splice(list.indexOf(array), 1);
    if (list.length === 0) this.#dropLength(array.length);
    this.#idle.delete(array);
    this.#pooledBytes -= array.byteLength;
    this.arena?.free(array);
  }
}
