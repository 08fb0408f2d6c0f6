import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeTar } from "./tar_writer.ts";
import { TarReader } from "./tar_reader.ts";
import { DataError } from "@slimming/tensor-utils/core";

Deno.test("TarReader returns what encodeTar wrote, however the bytes are chunked", async () => {
  const entry = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}(\/[a-z0-9_]{1,20}){0,3}$/),
    data: fc.uint8Array({ maxLength: 1500 }),
  });
  await fc.assert(
    fc.property(
      fc.uniqueArray(entry, { maxLength: 6, selector: (e) => e.name }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
      (entries, cuts) => {
        const tar = encodeTar(entries);
        const reader = new TarReader({
          source: "t.tar",
          select: () => 1 << 20,
          totalBytes: tar.length,
        });
        for (let at = 0, k = 0; at < tar.length; k++) {
          const next = Math.min(tar.length, at + cuts[k % cuts.length]);
          reader.push(tar.subarray(at, next));
          at = next;
        }
        const members = reader.finish();
        assert.deepEqual(members.map((m) => m.name), entries.map((e) => e.name));
        members.forEach((m, i) => {
          const joined = new Uint8Array(m.chunks.reduce((n, c) => n + c.length, 0));
          let at = 0;
          for (const c of m.chunks) (joined.set(c, at), at += c.length);
          assert.deepEqual(joined, entries[i].data);
        });
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("TarReader without a known total reports a stream that ends inside a member", () => {
  const tar = encodeTar([{ name: "a.bin", data: new Uint8Array(1000) }]);
  for (const cut of [100, 512 + 10, 512 + 1000, tar.length - 1024]) {
    const reader = new TarReader({ source: "x.tar", select: () => 1 << 20 });
    reader.push(tar.subarray(0, cut));
    assert.throws(
      () => reader.finish(),
      (e) => e instanceof DataError && /x\.tar.*truncated/.test(e.message),
    );
  }
  const whole = new TarReader({ source: "x.tar", select: () => undefined });
  whole.push(tar);
  assert.deepEqual(whole.finish(), []);
  assert.deepEqual(whole.names, ["a.bin"]);
});
