/**
 * The wasm-simd backend's tensor heap over a plain shared WebAssembly.Memory: aligned,
 * disjoint views that survive the memory's growth, reuse and coalescing of freed blocks, a
 * limit, and adoption of outside arrays (counted).
 */
import assert from "node:assert/strict";
import { HEAP_ALIGN, WasmHeap } from "./wasm_heap.ts";

const PAGE = 65536;

/** A heap over a fresh memory whose regions come from a bump pointer, as the module's do. */
function heap(limit?: number) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096, shared: true });
  let top = PAGE; // the first page stands for the module's own data
  const reserve = (bytes: number) => {
    const end = top + bytes;
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
    const start = top;
    top = end;
    return start;
  };
  return { memory, heap: new WasmHeap(memory, reserve, limit) };
}

Deno.test("views are aligned, disjoint and keep their bytes when the memory grows", () => {
  const { memory, heap: h } = heap();
  const a = h.allocate(10)!, b = h.allocate(3)!;
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  assert.equal(a.byteOffset % HEAP_ALIGN, 0);
  assert.equal(b.byteOffset % HEAP_ALIGN, 0);
  assert.ok(b.byteOffset >= a.byteOffset + a.byteLength || a.byteOffset >= b.byteOffset + 12);
  a.fill(7);
  const pagesBefore = memory.buffer.byteLength / PAGE;
  const big = h.allocate(80 * 2 ** 20 / 4)!; // past the first region: the memory grows
  assert.ok(memory.buffer.byteLength / PAGE > pagesBefore);
  assert.deepEqual([...a], Array(10).fill(7));
  assert.ok(h.contains(a) && h.contains(b) && h.contains(big) && h.contains(a.subarray(2)));
  assert.equal(new Float32Array(memory.buffer, a.byteOffset, 10)[9], 7);
  assert.ok(!h.contains(new Float32Array(10)));
  assert.ok(!h.contains(new Float32Array(new SharedArrayBuffer(40))));
});

Deno.test("freed blocks are reused and merge with their free neighbours", () => {
  const { heap: h } = heap();
  const [a, b, c] = [100, 100, 100].map((n) => h.allocate(n * 16)!);
  const reserved = h.reservedBytes;
  h.free(a);
  assert.equal(h.allocate(100 * 16)!.byteOffset, a.byteOffset);
  h.free(h.allocate(1)!); // a small block, freed again
  const [d] = [h.allocate(100 * 16)!];
  assert.notEqual(d.byteOffset, b.byteOffset);
  for (const x of [b, c]) h.free(x);
  // b and c merged with each other (and the free tail): one block of both sizes fits at b.
  assert.equal(h.allocate(200 * 16)!.byteOffset, b.byteOffset);
  assert.equal(h.reservedBytes, reserved);
  h.free(new Float32Array(4)); // not the heap's: ignored
});

Deno.test("a full heap says so, and adopting copies an outside array in, counted", () => {
  const { heap: h } = heap(2 * PAGE + 64 * 2 ** 20);
  assert.equal(h.allocate(128 * 2 ** 20 / 4), null);
  const outside = Float32Array.from({ length: 5 }, (_, i) => i + 0.5);
  const inside = h.adopt(outside)!;
  assert.ok(h.contains(inside));
  assert.deepEqual([...inside], [...outside]);
  assert.equal(h.copiedIn, 20);
  assert.equal(h.liveBytes, HEAP_ALIGN);
  h.free(inside);
  assert.equal(h.liveBytes, 0);
});
