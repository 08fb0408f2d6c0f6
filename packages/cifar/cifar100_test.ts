/** CIFAR-100 through the shared reading and validation path: round trips, layout, corrupt input. */
import assert from "node:assert/strict";
import { encodeRecords, IMAGE_BYTES } from "./format.ts";
import { gzip } from "./gzip.ts";
import { loadCifar } from "./load.ts";
import { CIFAR100_SPEC, CIFAR10_SPEC, cifarSpec } from "./spec.ts";
import { syntheticCifar, writeSyntheticArchive, writeSyntheticFolder } from "./synthetic.ts";
import { encodeTar, type TarEntry } from "./tar_writer.ts";
import { expectDataError, withTempDir } from "./testing.ts";
import { cifarTarEntries } from "./write.ts";
import { UsageError } from "@slimming/tensor-utils/core";

const spec = CIFAR100_SPEC;
const data = syntheticCifar({ trainPerClass: 1, testPerClass: 1, seed: 8, spec });
const TRAIN = "cifar-100-binary/train.bin";
const TEST = "cifar-100-binary/test.bin";

async function writeEdited(dir: string, edit: (e: TarEntry[]) => TarEntry[]): Promise<string> {
  const path = `${dir}/edited.tar.gz`;
  await Deno.writeFile(path, await gzip(encodeTar(edit(cifarTarEntries(data, spec)))));
  return path;
}

function replaceData(entries: TarEntry[], name: string, fn: (d: Uint8Array) => Uint8Array) {
  return entries.map((e) => e.name === name ? { name, data: fn(e.data!) } : e);
}

Deno.test("cifar100 spec: the official layout, md5 and the reference's normalisation", () => {
  assert.equal(spec.recordBytes, 3074);
  assert.equal(spec.classCount, 100);
  assert.equal(spec.classNames.length, 100);
  assert.equal(new Set(spec.classNames).size, 100);
  assert.equal(spec.coarse?.classNames.length, 20);
  assert.equal(spec.md5, "03b5dce01913d631647c71ecec9e9cb8");
  assert.equal(spec.url, "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz");
  // The reference main.py normalises CIFAR-100 with the CIFAR-10 constants.
  assert.deepEqual([spec.mean, spec.std], [CIFAR10_SPEC.mean, CIFAR10_SPEC.std]);
  assert.equal(cifarSpec("cifar100"), spec);
  assert.equal(cifarSpec("cifar10"), CIFAR10_SPEC);
  assert.throws(
    () => cifarSpec("cifar1000"),
    (e) => e instanceof UsageError && /cifar10, cifar100/.test(e.message),
  );
});

Deno.test("cifar100 records: coarse byte, fine byte, then 3072 pixel bytes", () => {
  const bytes = encodeRecords(data.test, 0, data.test.count, spec);
  assert.equal(bytes.length, 100 * 3074);
  for (const r of [0, 37, 99]) {
    assert.equal(bytes[r * 3074], data.test.coarseLabels![r]);
    assert.equal(bytes[r * 3074 + 1], data.test.labels[r]);
    assert.deepEqual(
      bytes.subarray(r * 3074 + 2, (r + 1) * 3074),
      data.test.images.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES),
    );
  }
  assert.throws(
    () => encodeRecords({ ...data.test, coarseLabels: undefined }, 0, 1, spec),
    RangeError,
  );
});

Deno.test("cifar100 synthetic data round-trips through an archive and a folder, fine and coarse labels", async () => {
  await withTempDir(async (dir) => {
    const options = { trainPerClass: 2, testPerClass: 1, seed: 3, spec };
    const written = await writeSyntheticArchive(`${dir}/c100.tar.gz`, options);
    await writeSyntheticFolder(`${dir}/folder`, options);
    for (
      const source of [`${dir}/c100.tar.gz`, `${dir}/folder`, `${dir}/folder/cifar-100-binary`]
    ) {
      const read = await loadCifar(source, { spec });
      assert.equal(read.spec, spec);
      assert.equal(read.train.count, 200);
      assert.equal(read.test.count, 100);
      assert.deepEqual(new Set(read.train.labels).size, 100);
      assert.deepEqual(read.train.labels, written.train.labels);
      assert.deepEqual(read.train.coarseLabels, written.train.coarseLabels);
      assert.deepEqual(read.test.coarseLabels, written.test.coarseLabels);
      assert.deepEqual(read.train.images, written.train.images);
      assert.deepEqual(read.classNames, [...spec.classNames]);
      assert.deepEqual(read.coarseClassNames, [...spec.coarse!.classNames]);
    }
  });
});

Deno.test("cifar100 without the name files uses the official names", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(dir, (e) => e.filter((x) => !x.name.endsWith(".txt")));
    const read = await loadCifar(path, { spec });
    assert.equal(read.classNames[1], "aquarium_fish");
    assert.equal(read.coarseClassNames![19], "vehicles_2");
  });
});

Deno.test("a truncated cifar100 archive is a one-line DataError", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/c100.tar.gz`;
    await writeSyntheticArchive(path, { trainPerClass: 1, testPerClass: 1, spec });
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectDataError(loadCifar(path, { spec }), [path]);
  });
});

Deno.test("cifar100 members of the wrong record size (truncated, or CIFAR-10 records) are DataErrors", async () => {
  await withTempDir(async (dir) => {
    const cut = await writeEdited(
      dir,
      (e) => replaceData(e, TRAIN, (d) => d.subarray(0, d.length - 5)),
    );
    const message = await expectDataError(loadCifar(cut, { spec }), [
      cut,
      TRAIN,
      "3074-byte records",
      "CIFAR-100",
    ]);
    assert.match(message, /3069 bytes left over/);
    // Three CIFAR-10 records (3073 bytes each) under the CIFAR-100 name.
    const ten = syntheticCifar({ trainPerClass: 1, testPerClass: 1, seed: 1 });
    const wrong = await writeEdited(
      dir,
      (e) => replaceData(e, TEST, () => encodeRecords(ten.test, 0, 3)),
    );
    await expectDataError(loadCifar(wrong, { spec }), [TEST, "3074-byte records", "9219 bytes"]);
  });
});

Deno.test("cifar100 labels out of range (fine over 99, coarse over 19) are DataErrors naming the record", async () => {
  await withTempDir(async (dir) => {
    const edit = (offset: number, value: number) =>
      writeEdited(dir, (e) =>
        replaceData(e, TEST, (d) => {
          const copy = d.slice();
          copy[3074 * 6 + offset] = value;
          return copy;
        }));
    await expectDataError(loadCifar(await edit(1, 100), { spec }), [
      TEST,
      "record 6 has label 100, not 0-99",
    ]);
    await expectDataError(loadCifar(await edit(0, 20), { spec }), [
      TEST,
      "record 6 has coarse label 20, not 0-19",
    ]);
  });
});

Deno.test("reading one data set's archive as the other names the missing member", async () => {
  await withTempDir(async (dir) => {
    const c10 = `${dir}/c10.tar.gz`, c100 = `${dir}/c100.tar.gz`;
    await writeSyntheticArchive(c10, { trainPerClass: 1, testPerClass: 1 });
    await writeSyntheticArchive(c100, { trainPerClass: 1, testPerClass: 1, spec });
    await expectDataError(loadCifar(c10, { spec }), [
      c10,
      TRAIN,
      "missing",
      "cifar-10-batches-bin/",
    ]);
    await expectDataError(loadCifar(c100), [
      c100,
      "cifar-10-batches-bin/data_batch_1.bin",
      "missing",
    ]);
    await writeSyntheticFolder(`${dir}/f10`, { trainPerClass: 1, testPerClass: 1 });
    await expectDataError(loadCifar(`${dir}/f10`, { spec }), [
      "train.bin",
      "missing",
      "CIFAR-100 folder",
    ]);
  });
});

Deno.test("a wrong number of fine class names is a DataError", async () => {
  await withTempDir(async (dir) => {
    const names = "cifar-100-binary/fine_label_names.txt";
    const path = await writeEdited(
      dir,
      (e) => replaceData(e, names, () => new TextEncoder().encode("a\nb\n")),
    );
    await expectDataError(loadCifar(path, { spec }), [names, "2 class names, expected 100"]);
  });
});
