import assert from "node:assert/strict";
import { encodeTar } from "./tar_writer.ts";
import { gzip } from "./gzip.ts";

Deno.test("encodeTar writes ustar headers: name, octal size, magic, checksum, end blocks", async () => {
  const tar = encodeTar([{ name: "dir/" }, { name: "dir/file.bin", data: new Uint8Array(600) }]);
  assert.equal(tar.length, 512 + 512 + 1024 + 1024);
  const header = tar.subarray(512, 1024);
  const text = (from: number, to: number) => new TextDecoder().decode(header.subarray(from, to));
  assert.equal(text(0, 12), "dir/file.bin");
  assert.equal(text(124, 135), "00000001130"); // 600 in octal
  assert.equal(text(257, 263), "ustar\0");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  assert.equal(parseInt(text(148, 154), 8), sum);
  assert.deepEqual(tar.subarray(tar.length - 1024), new Uint8Array(1024));
  assert.ok((await gzip(tar)).length < tar.length);
});
