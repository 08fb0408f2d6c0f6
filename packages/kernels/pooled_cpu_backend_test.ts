/**
 * The output-buffer pool of the kernels' cpu backend: freed buffers are reused by size, the
 * pool keeps at most its byte limit, evicting the least recently freed buffers first.
 */
import assert from "node:assert/strict";
import { defaultPoolBytes, PooledCpuBackend } from "./pooled_cpu_backend.ts";

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
