import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CifarData,
  encodeTar,
  gunzip,
  gzip,
  IMAGE_BYTES,
  loadCifar,
  syntheticCifar,
  TarReader,
  writeCifarArchive,
  writeSyntheticArchive,
  writeSyntheticFolder,
} from "@slimming/cifar";
import { withTempDir } from "../packages/cifar/testing.ts";

function assertSameData(actual: CifarData, expected: CifarData): void {
  assert.equal(actual.train.count, expected.train.count);
  assert.equal(actual.test.count, expected.test.count);
  assert.deepEqual(actual.train.labels, expected.train.labels);
  assert.deepEqual(actual.test.labels, expected.test.labels);
  assert.deepEqual(actual.train.images, expected.train.images);
  assert.deepEqual(actual.test.images, expected.test.images);
  assert.deepEqual(actual.classNames, expected.classNames);
}

Deno.test("synthetic data round-trips through a .tar.gz byte for byte", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/cifar-10-binary.tar.gz`;
    const written = await writeSyntheticArchive(path, {
      trainPerClass: 7,
      testPerClass: 3,
      seed: 5,
    });
    const read = await loadCifar(path);
    assert.equal(read.source, path);
    assert.equal(read.train.count, 70);
    assert.equal(read.train.images.length, 70 * IMAGE_BYTES);
    assertSameData(read, written);
  });
});

Deno.test("synthetic data round-trips through a folder, given the folder or its parent", async () => {
  await withTempDir(async (dir) => {
    const written = await writeSyntheticFolder(dir, { trainPerClass: 3, testPerClass: 2, seed: 9 });
    assertSameData(await loadCifar(dir), written);
    assertSameData(await loadCifar(`${dir}/cifar-10-batches-bin`), written);
    assertSameData(await loadCifar(`${dir}/cifar-10-batches-bin/`), written);
  });
});

Deno.test("an uncompressed .tar with the official layout loads too", async () => {
  await withTempDir(async (dir) => {
    const data = syntheticCifar({ trainPerClass: 1, testPerClass: 1, seed: 2 });
    await writeCifarArchive(`${dir}/a.tar.gz`, data);
    await Deno.writeFile(`${dir}/a.tar`, await gunzip(await Deno.readFile(`${dir}/a.tar.gz`)));
    assertSameData(await loadCifar(`${dir}/a.tar`), data);
  });
});

Deno.test("class names come from batches.meta.txt; without it the standard names are used", async () => {
  await withTempDir(async (dir) => {
    const data = { ...syntheticCifar({ trainPerClass: 1, testPerClass: 1 }) };
    const names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    await writeCifarArchive(`${dir}/named.tar.gz`, { ...data, classNames: names });
    assert.deepEqual((await loadCifar(`${dir}/named.tar.gz`)).classNames, names);
    await writeSyntheticFolder(dir, { trainPerClass: 1, testPerClass: 1 });
    await Deno.remove(`${dir}/cifar-10-batches-bin/batches.meta.txt`);
    assert.equal((await loadCifar(dir)).classNames[9], "truck");
  });
});

Deno.test("the synthetic generator is deterministic for a seed and differs across seeds", () => {
  const a = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 1 });
  const b = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 1 });
  const c = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 2 });
  assert.deepEqual(a.train.images, b.train.images);
  assert.notDeepEqual(a.train.images, c.train.images);
  assert.deepEqual([...a.train.labels].sort(), [
    0,
    0,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
    4,
    5,
    5,
    6,
    6,
    7,
    7,
    8,
    8,
    9,
    9,
  ]);
});

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
