import assert from "node:assert/strict";
import { type CifarData, IMAGE_BYTES } from "./format.ts";
import { gunzip } from "./gzip.ts";
import { loadCifar } from "./load.ts";
import { syntheticCifar, writeSyntheticArchive, writeSyntheticFolder } from "./synthetic.ts";
import { writeCifarArchive } from "./write.ts";
import { withTempDir } from "./testing.ts";

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
