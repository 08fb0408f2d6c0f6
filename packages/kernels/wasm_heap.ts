/**
 * Tensor memory inside the WebAssembly kernels' shared memory, so the kernels read their
 * inputs and write their outputs where they lie (pointer = the view's byteOffset) instead of
 * copying them in and out around each call. A best-fit free list with coalescing over regions
 * taken from the module's bump allocator between kernel calls (the kernels' scratch memory
 * lives above them and is released after each call).
 *
 * The memory is shared, so growing it never detaches a view: a Float32Array made before a
 * `memory.grow()` keeps seeing the same bytes (over the smaller SharedArrayBuffer object of
 * its time). Views are therefore made once and never re-derived.
 *
 * @module
 */
import type { BufferArena } from "./kernel_lib.ts";

/** Bytes every block is aligned to and rounded up to (a cache line; SIMD loads stay aligned). */
export const HEAP_ALIGN = 64;

/** Bytes asked of the module at a time when the free list has no block large enough. */
const REGION_BYTES = 64 * 2 ** 20;

/**
 * Highest address tensor memory may reach: 4 GiB (wasm32's limit) less 256 MiB left for the
 * kernels' scratch memory (packed weights, per-thread buffers), which lives above it.
 */
export const HEAP_LIMIT = 2 ** 32 - 256 * 2 ** 20;

/** Bytes moved between ordinary arrays and the module's memory (see {@linkcode WasmHeap}). */
export interface CopyCounts {
  /** Bytes of kernel inputs copied into the module (inputs that were not heap views). */
  copiedIn: number;
  /** Bytes of kernel outputs copied out of the module (outputs that were not heap views). */
  copiedOut: number;
}

interface Block {
  start: number;
  size: number;
}

/**
 * The heap: hands out Float32Array views of the module's memory ({@linkcode BufferArena}),
 * says whether an array is one ({@linkcode WasmHeap.contains}) and counts the bytes the
 * kernels had to copy for arrays that are not.
 */
export class WasmHeap implements BufferArena, CopyCounts {
  /** Bytes of kernel inputs copied into the module. */
  copiedIn = 0;
  /** Bytes of kernel outputs copied out of the module. */
  copiedOut = 0;
  readonly #memory: WebAssembly.Memory;
  readonly #reserve: (bytes: number) => number;
  readonly #limit: number;
  /** Every SharedArrayBuffer object the memory has handed out (one per size it grew to). */
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  /** Free blocks, sorted by start, never adjacent (coalesced). */
  readonly #free: Block[] = [];
  /** Live blocks: start -> size. */
  readonly #live = new Map<number, number>();
  /** Returns the block of a view that was dropped without {@linkcode WasmHeap.free}. */
  readonly #lost = new FinalizationRegistry<number>((start) => this.#release(start));
  #reserved = 0;

  /**
   * A heap over `memory`; `reserve(bytes)` takes `bytes` of it for good from the module (an
   * address, 0 when the memory cannot grow) and is only called between kernel calls.
   */
  constructor(
    memory: WebAssembly.Memory,
    reserve: (bytes: number) => number,
    limit: number = HEAP_LIMIT,
  ) {
    this.#memory = memory;
    this.#reserve = reserve;
    this.#limit = limit;
  }

  /** Bytes taken from the module so far (live, free or pooled). */
  get reservedBytes(): number {
    return this.#reserved;
  }

  /** Bytes in live blocks (handed out and not yet freed). */
  get liveBytes(): number {
    let sum = 0;
    for (const size of this.#live.values()) sum += size;
    return sum;
  }

  /** The memory's current SharedArrayBuffer (remembered, so its views count as the heap's). */
  buffer(): ArrayBufferLike {
    const buffer = this.#memory.buffer;
    this.#buffers.add(buffer);
    return buffer;
  }

  /** Whether `a` is a view of the module's memory (any array over it, not only this heap's). */
  contains(a: ArrayBufferView): boolean {
    const buffer = a.buffer;
    if (this.#buffers.has(buffer)) return true;
    if (buffer !== this.#memory.buffer) return false;
    this.#buffers.add(buffer);
    return true;
  }

  /** A Float32Array of `length` at address `pointer` of the module's memory. */
  view(pointer: number, length: number): Float32Array {
    return new Float32Array(this.buffer(), pointer, length);
  }

  /** A view of `length` floats in a block of its own, or null when the memory is full. */
  allocate(length: number): Float32Array | null {
    const size = Math.max(HEAP_ALIGN, Math.ceil((length * 4) / HEAP_ALIGN) * HEAP_ALIGN);
    const start = this.#take(size) ?? (this.#grow(size) ? this.#take(size) : null);
    if (start === null) return null;
    this.#live.set(start, size);
    const array = this.view(start, length);
    this.#lost.register(array, start, array);
    return array;
  }

  /** A copy of `values` in a block of its own (counted in `copiedIn`), or null when full. */
  adopt(values: Float32Array): Float32Array | null {
    const array = this.allocate(values.length);
    if (!array) return null;
    array.set(values);
    this.copiedIn += values.byteLength;
    return array;
  }

  /** Returns the block of a view from {@linkcode WasmHeap.allocate}; other arrays are ignored. */
  free(array: Float32Array): void {
    if (!this.contains(array) || !this.#live.has(array.byteOffset)) return;
    this.#lost.unregister(array);
    this.#release(array.byteOffset);
  }

  #release(start: number): void {
    const size = this.#live.get(start);
    if (size === undefined) return;
    this.#live.delete(start);
    this.#insert({ start, size });
  }

  /** The start of a best-fitting free block's first `size` bytes (taken), or null. */
  #take(size: number): number | null {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const s = this.#free[i].size;
      if (s >= size && (best < 0 || s < this.#free[best].size)) {
        best = i;
        if (s === size) break;
      }
    }
    if (best < 0) return null;
    const block = this.#free[best];
    const start = block.start;
    if (block.size === size) this.#free.splice(best, 1);
    else {
      block.start += size;
      block.size -= size;
    }
    return start;
  }

  /** Takes a new region from the module for at least `size` bytes; false when it cannot. */
  #grow(size: number): boolean {
    for (const bytes of [Math.max(size, REGION_BYTES), size]) {
      if (this.#memory.buffer.byteLength + bytes > this.#limit) continue;
      const start = this.#reserve(bytes);
      if (start === 0) continue;
      if (start % HEAP_ALIGN !== 0) throw new Error(`unaligned heap region at ${start}`);
      this.#reserved += bytes;
      // Regions follow each other, so a new one usually extends the last free block.
      this.#insert({ start, size: bytes });
      return true;
    }
    return false;
  }

  /** Adds a free block, merging it with free neighbours. */
  #insert(block: Block): void {
    const free = this.#free;
    let lo = 0, hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid].start < block.start) lo = mid + 1;
      else hi = mid;
    }
    const before = free[lo - 1], after = free[lo];
    if (before && before.start + before.size === block.start) {
      before.size += block.size;
      if (after && before.start + before.size === after.start) {
        before.size += after.size;
        free.splice(lo, 1);
      }
    } else if (after && block.start + block.size === after.start) {
      after.start = block.start;
      after.size += block.size;
    } else {
      free.splice(lo, 0, block);
    }
  }
}
