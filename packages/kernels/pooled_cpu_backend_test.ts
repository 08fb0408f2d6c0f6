/** The buffer pool's size limit and its reuse of freed output buffers. */
import assert from "node:assert/strict";
import { maxPooledBytes, PooledCpuBackend } from "./pooled_cpu_backend.ts";

Deno.test("the pool keeps a quarter of the machine's memory, between 1 and 16 GiB", () => {
  const total = Deno.systemMemoryInfo().total;
  const limit = maxPooledBytes();
  assert.equal(limit, Math.min(total / 4, 2 ** 34));
  assert.ok(limit >= 2 ** 28 && limit <= 2 ** 34, `${limit}`);
});

Deno.test("a freed pool buffer is handed out again for the same length", () => {
  const backend = new PooledCpuBackend();
  const first = backend.allocate(1 << 20);
  const id = backend.write(first, [1 << 20], "float32");
  backend.disposeData(id, true);
  assert.equal(backend.allocate(1 << 20), first);
  assert.notEqual(backend.allocate(1 << 20), first);
  backend.dispose();
});
