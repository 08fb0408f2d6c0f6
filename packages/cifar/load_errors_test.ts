import assert from "node:assert/strict";
import { cifarTarEntries, writeCifarArchive } from "./write.ts";
import { encodeTar, type TarEntry } from "./tar_writer.ts";
import { gzip } from "./gzip.ts";
import { loadCifar } from "./load.ts";
import { RECORD_BYTES } from "./format.ts";
import { syntheticCifar, writeSyntheticFolder } from "./synthetic.ts";
import { expectDataError, withTempDir } from "./testing.ts";

const data = syntheticCifar({ trainPerClass: 1, testPerClass: 1, seed: 3 });
const BATCH_1 = "cifar-10-batches-bin/data_batch_1.bin";

/** The official entries, changed by `edit`, gzipped and written to `<dir>/<name>`. */
async function writeEdited(
  dir: string,
  edit: (entries: TarEntry[]) => TarEntry[],
  name = "edited.tar.gz",
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, await gzip(encodeTar(edit(cifarTarEntries(data)))));
  return path;
}

function replaceData(entries: TarEntry[], name: string, fn: (d: Uint8Array) => Uint8Array) {
  return entries.map((e) => e.name === name ? { name, data: fn(e.data!) } : e);
}

Deno.test("a truncated .tar.gz is a DataError naming the archive", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/cifar.tar.gz`;
    await writeCifarArchive(path, data);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectDataError(loadCifar(path), [path]);
  });
});

Deno.test("a tar stream that stops inside a member names the member (after gzip of the cut tar)", async () => {
  await withTempDir(async (dir) => {
    const tar = encodeTar(cifarTarEntries(data));
    const path = `${dir}/cut.tar.gz`;
    await Deno.writeFile(path, await gzip(tar.subarray(0, 512 * 4 + 100))); // into data_batch_1's data
    await expectDataError(loadCifar(path), [path, BATCH_1, "truncated"]);
  });
});

Deno.test("a member that claims more bytes than the archive holds is reported at once", async () => {
  await withTempDir(async (dir) => {
    const tar = encodeTar(cifarTarEntries(data));
    const path = `${dir}/cut.tar`;
    await Deno.writeFile(path, tar.subarray(0, 512 * 4 + 100));
    await expectDataError(loadCifar(path), [path, BATCH_1, "remain in the archive"]);
  });
});

Deno.test("a batch member whose size is not a multiple of 3073 is a DataError", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(
      dir,
      (e) => replaceData(e, BATCH_1, (d) => d.subarray(0, d.length - 1)),
    );
    const message = await expectDataError(loadCifar(path), [
      path,
      BATCH_1,
      `${RECORD_BYTES}-byte records`,
    ]);
    assert.match(message, /3072 bytes left over/);
  });
});

Deno.test("an empty batch member is a DataError", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(dir, (e) => replaceData(e, BATCH_1, () => new Uint8Array(0)));
    await expectDataError(loadCifar(path), [path, BATCH_1, "empty"]);
  });
});

Deno.test("a label above 9 is a DataError naming the member and the record", async () => {
  await withTempDir(async (dir) => {
    const name = "cifar-10-batches-bin/test_batch.bin";
    const path = await writeEdited(dir, (e) =>
      replaceData(e, name, (d) => {
        const copy = d.slice();
        copy[RECORD_BYTES * 4] = 10;
        return copy;
      }));
    await expectDataError(loadCifar(path), [path, name, "record 4 has label 10"]);
  });
});

Deno.test("a missing member is a DataError naming it", async () => {
  await withTempDir(async (dir) => {
    const name = "cifar-10-batches-bin/data_batch_4.bin";
    const path = await writeEdited(dir, (e) => e.filter((x) => x.name !== name));
    await expectDataError(loadCifar(path), [path, name, "missing"]);
  });
});

Deno.test("wrong member names (another folder, another suffix) are a DataError", async () => {
  await withTempDir(async (dir) => {
    const renamed = await writeEdited(
      dir,
      (e) =>
        e.map((x) => ({
          ...x,
          name: x.name.replace("cifar-10-batches-bin", "cifar-10-batches-py"),
        })),
      "renamed.tar.gz",
    );
    await expectDataError(loadCifar(renamed), [
      renamed,
      BATCH_1,
      "missing",
      "cifar-10-batches-py/",
    ]);
    const suffix = await writeEdited(
      dir,
      (e) => e.map((x) => ({ ...x, name: x.name.replace(".bin", ".dat") })),
      "suffix.tar.gz",
    );
    await expectDataError(loadCifar(suffix), [suffix, BATCH_1, "missing"]);
  });
});

Deno.test("a member that appears twice is a DataError", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(dir, (e) => [...e, e.find((x) => x.name === BATCH_1)!]);
    await expectDataError(loadCifar(path), [path, BATCH_1, "more than once"]);
  });
});

Deno.test("an oversized batch member is refused before it is read, naming the limit", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(dir, (e) => e);
    const message = await expectDataError(loadCifar(path, { maxBatchBytes: 5000 }), [
      path,
      BATCH_1,
    ]);
    assert.match(message, /6146 bytes is over the 5000-byte limit/);
  });
});

Deno.test("an archive that unpacks to more than the tar limit is a DataError", async () => {
  await withTempDir(async (dir) => {
    const path = await writeEdited(dir, (e) => e);
    await expectDataError(loadCifar(path, { maxTarBytes: 20_000 }), [path, "over 20000 bytes"]);
  });
});

Deno.test("bad gzip data is a DataError naming the archive", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/bad.tar.gz`;
    await writeCifarArchive(path, data);
    const bytes = await Deno.readFile(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x55;
    await Deno.writeFile(path, bytes);
    await expectDataError(loadCifar(path), [path, "gzip"]);
    const notGzip = `${dir}/plain.tar.gz`;
    await Deno.writeFile(notGzip, new TextEncoder().encode("<html>not found</html>"));
    await expectDataError(loadCifar(notGzip), [notGzip, "not gzip"]);
  });
});

Deno.test("random bytes that are not a tar archive are a DataError", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/noise.tar.gz`;
    const noise = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
    await Deno.writeFile(path, await gzip(noise));
    await expectDataError(loadCifar(path), [path, "tar header checksum"]);
  });
});

Deno.test("a missing path and a .partial download are DataErrors", async () => {
  await withTempDir(async (dir) => {
    await expectDataError(loadCifar(`${dir}/nothing.tar.gz`), [
      `${dir}/nothing.tar.gz`,
      "no such file",
    ]);
    const partial = `${dir}/cifar-10-binary.tar.gz.partial`;
    await writeCifarArchive(partial, data);
    await expectDataError(loadCifar(partial), [partial, "unfinished download"]);
  });
});

Deno.test("folder: a missing batch file is a DataError naming it", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticFolder(dir, { trainPerClass: 1, testPerClass: 1 });
    const file = `${dir}/cifar-10-batches-bin/test_batch.bin`;
    await Deno.remove(file);
    await expectDataError(loadCifar(dir), [file, "missing"]);
  });
});

Deno.test("folder: a truncated batch file is a DataError naming it", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticFolder(dir, { trainPerClass: 1, testPerClass: 1 });
    const file = `${dir}/cifar-10-batches-bin/data_batch_2.bin`;
    const bytes = await Deno.readFile(file);
    await Deno.writeFile(file, bytes.subarray(0, bytes.length - 100));
    await expectDataError(loadCifar(dir), [file, "truncated"]);
  });
});

Deno.test("folder: a label above 9 and a broken batches.meta.txt are DataErrors", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticFolder(dir, { trainPerClass: 1, testPerClass: 1 });
    const file = `${dir}/cifar-10-batches-bin/data_batch_3.bin`;
    const bytes = await Deno.readFile(file);
    bytes[RECORD_BYTES] = 255;
    await Deno.writeFile(file, bytes);
    await expectDataError(loadCifar(dir), [file, "record 1 has label 255"]);
    bytes[RECORD_BYTES] = 0;
    await Deno.writeFile(file, bytes);
    const meta = `${dir}/cifar-10-batches-bin/batches.meta.txt`;
    await Deno.writeTextFile(meta, "cat\ndog\n");
    await expectDataError(loadCifar(dir), [meta, "2 class names"]);
  });
});

Deno.test("folder: an oversized batch file is refused, naming the limit", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticFolder(dir, { trainPerClass: 1, testPerClass: 1 });
    await expectDataError(loadCifar(dir, { maxBatchBytes: 100 }), [
      "data_batch_1.bin",
      "100-byte limit",
    ]);
  });
});
