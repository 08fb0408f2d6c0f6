/**
 * The output-buffer pool of the kernels' cpu backend: freed buffers are reused by size, the
 * pool keeps at most its byte limit, evicting the least recently freed buffers first; with an
 * arena (the wasm-simd heap), where buffers come from and go back to, and adoption.
 */
import assert from "node:assert/strict";
import { defaultPoolBytes, PooledCpuBackend, REUSE_SLACK } from "./pooled_cpu_backend.ts";

/** A pool-born array of `length` floats written as a tensor's data; its data id. */
function held(backend: PooledCpuBackend, length: number) {
  const values = backend.allocate(length);
  return { values, id: backend.write(values, [length], "float32") };
}

Deno.test("a freed buffer is reused for the next allocation of its size", () => {
  const backend = new PooledCpuBackend(4000);
  const a = held(backend, 100);
  assert.equal(backend.pooledBytes, 0);
  backend.disposeData(a.id);
  assert.equal(backend.pooledBytes, 400);
  assert.notEqual(backend.allocate(50), a.values);
  assert.equal(backend.allocate(100), a.values);
  assert.equal(backend.pooledBytes, 0);
});

Deno.test("a larger idle buffer, up to REUSE_SLACK times the request, serves it as a view", () => {
  const backend = new PooledCpuBackend(1 << 20);
  const big = held(backend, 120);
  backend.disposeData(big.id);
  // Too large for a request of 120 / REUSE_SLACK - 1 floats: a fresh array.
  const tooSmall = backend.allocate(Math.floor(120 / REUSE_SLACK) - 1);
  assert.notEqual(tooSmall.buffer, big.values.buffer);
  const view = held(backend, 100);
  assert.equal(view.values.length, 100);
  assert.equal(view.values.buffer, big.values.buffer);
  assert.equal(view.values.byteOffset, big.values.byteOffset);
  assert.equal(backend.pooledBytes, 0);
  assert.equal(backend.liveBytes, 120 * 4 + tooSmall.byteLength);
  // Freed, the whole buffer goes back and serves a full-size request again.
  backend.disposeData(view.id);
  assert.equal(backend.pooledBytes, 480);
  assert.equal(backend.allocate(120), big.values);
});

Deno.test("the smallest idle buffer that fits is the one handed out", () => {
  const backend = new PooledCpuBackend(1 << 20);
  const sizes = [140, 100, 110, 90];
  const arrays = sizes.map((n) => held(backend, n));
  for (const a of arrays) backend.disposeData(a.id);
  assert.equal(backend.allocate(95).buffer, arrays[1].values.buffer);
  assert.equal(backend.allocate(95).buffer, arrays[2].values.buffer);
  assert.equal(backend.allocate(95).buffer, arrays[0].values.buffer);
  assert.equal(backend.allocate(95).byteLength, 95 * 4); // 90 is too small: fresh
  assert.equal(backend.freshBytes, (140 + 100 + 110 + 90 + 95) * 4);
});

Deno.test("endStep gives back the idle buffers the ending step did not use", () => {
  const backend = new PooledCpuBackend(1 << 20);
  // Step 1 uses buffers of 100 and 50 floats; evaluation-like work leaves one of 400.
  const step1 = [held(backend, 100), held(backend, 50)];
  for (const t of step1) backend.disposeData(t.id);
  backend.endStep();
  const other = held(backend, 400);
  backend.disposeData(other.id);
  assert.equal(backend.pooledBytes, 2200);
  // Step 2 reuses the 100 only: the 400 (used in step 2's span) stays one more step, the 50
  // (last used in step 1) goes.
  const reused = held(backend, 100);
  backend.disposeData(reused.id);
  backend.endStep();
  assert.equal(backend.pooledBytes, 2000);
  // Step 3 uses the 100 again: the 400 is given back, the 100 kept.
  backend.disposeData(held(backend, 100).id);
  backend.endStep();
  assert.equal(backend.pooledBytes, 400);
  assert.equal(backend.allocate(100), reused.values);
  assert.equal(backend.liveBytes, 400);
});

Deno.test("a full pool evicts the least recently freed buffers, never exceeding its size", () => {
  const backend = new PooledCpuBackend(1000);
  const [a, b, c, d] = [100, 100, 50, 100].map((n) => held(backend, n));
  for (const t of [a, b, c]) backend.disposeData(t.id);
  assert.equal(backend.pooledBytes, 1000);
  backend.disposeData(d.id); // needs 400 bytes: a, the oldest, goes
  assert.equal(backend.pooledBytes, 1000);
  // Most recently freed first: d, then b; a was evicted, so the third is a fresh array.
  assert.equal(backend.allocate(100), d.values);
  assert.equal(backend.allocate(100), b.values);
  assert.notEqual(backend.allocate(100), a.values);
  assert.equal(backend.allocate(50), c.values);
  assert.equal(backend.pooledBytes, 0);
});

Deno.test("a buffer larger than the whole pool is not kept", () => {
  const backend = new PooledCpuBackend(1000);
  const small = held(backend, 10), big = held(backend, 300);
  backend.disposeData(small.id);
  backend.disposeData(big.id);
  assert.equal(backend.pooledBytes, 40);
  assert.notEqual(backend.allocate(300), big.values);
});

Deno.test("the default pool size is between 1 and 8 GiB", () => {
  const bytes = defaultPoolBytes();
  assert.ok(bytes >= 2 ** 30 && bytes <= 8 * 2 ** 30, `${bytes}`);
});

/** An arena of `capacity` floats over one SharedArrayBuffer (a stand-in for the wasm heap). */
function fakeArena(capacity: number) {
  const memory = new SharedArrayBuffer(capacity * 4);
  let used = 0;
  const freed: Float32Array[] = [];
  return {
    freed,
    allocate(length: number) {
      if (used + length > capacity) return null;
      const array = new Float32Array(memory, used * 4, length);
      used += length;
      return array;
    },
    free(array: Float32Array) {
      if (array.buffer === memory) freed.push(array);
    },
    contains: (array: ArrayBufferView) => array.buffer === memory,
    adopt(values: Float32Array) {
      const array = this.allocate(values.length);
      array?.set(values);
      return array;
    },
  };
}

Deno.test("with an arena: buffers come from it, evicted ones go back, reads are copies", () => {
  const arena = fakeArena(300);
  const backend = new PooledCpuBackend(400, arena);
  const a = held(backend, 100);
  assert.ok(arena.contains(a.values));
  a.values.fill(3);
  const read = backend.readSync(a.id) as Float32Array;
  assert.ok(read.buffer instanceof ArrayBuffer && read[99] === 3);
  backend.disposeData(a.id); // pooled (400 bytes)
  const b = held(backend, 50);
  backend.disposeData(b.id); // 200 more bytes: a is evicted, back to the arena
  assert.deepEqual(arena.freed, [a.values]);
  // The arena has 150 floats left: 200 do not fit, so the idle b is given back and the
  // backend falls back to an ordinary array.
  const c = backend.allocate(200);
  assert.deepEqual(arena.freed, [a.values, b.values]);
  assert.ok(!arena.contains(c) && c.length === 200);
});

Deno.test("with an arena: adopt moves outside float32 values in once", () => {
  const arena = fakeArena(100);
  const backend = new PooledCpuBackend(400, arena);
  const outside = Float32Array.from([1, 2, 3]);
  const id = backend.write(outside, [3], "float32");
  const moved = backend.adopt(id) as Float32Array;
  assert.ok(arena.contains(moved));
  assert.deepEqual([...moved], [1, 2, 3]);
  assert.equal(backend.adopt(id), moved);
  const ints = backend.write(Int32Array.from([1]), [1], "int32");
  assert.ok(!arena.contains(backend.adopt(ints) as Int32Array));
  backend.disposeData(id); // the moved array is pool-born: it is recycled
  assert.equal(backend.pooledBytes, 12);
});
