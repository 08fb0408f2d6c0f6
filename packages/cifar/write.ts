/**
 * Writes a data set in the official layout: a `.tar.gz` archive or an extracted folder
 * with `cifar-10-batches-bin/` holding the five training batches, the test batch and
 * `batches.meta.txt`.
 *
 * @module
 */
import { writeFileAtomic } from "@slimming/tensor-utils/core";
import {
  ARCHIVE_FOLDER,
  type CifarData,
  encodeClassNames,
  encodeRecords,
  META_FILE,
  TEST_FILE,
  TRAIN_FILES,
} from "./format.ts";
import { gzip } from "./gzip.ts";
import { encodeTar, type TarEntry } from "./tar_writer.ts";

/**
 * The files of the official layout (names relative to `cifar-10-batches-bin/`): the
 * training split cut into five batches as equal as possible (so it needs at least five
 * records), the test split and the class names.
 */
export function cifarFiles(data: CifarData): { name: string; data: Uint8Array }[] {
  const n = data.train.count;
  if (n < TRAIN_FILES.length) {
    throw new RangeError(`need at least ${TRAIN_FILES.length} training records, got ${n}`);
  }
  if (data.test.count < 1) throw new RangeError("need at least one test record");
  const files = [{ name: META_FILE, data: encodeClassNames(data.classNames) }];
  let start = 0;
  TRAIN_FILES.forEach((name, i) => {
    const end = start + Math.floor(n / 5) + (i < n % 5 ? 1 : 0);
    files.push({ name, data: encodeRecords(data.train, start, end) });
    start = end;
  });
  files.push({ name: TEST_FILE, data: encodeRecords(data.test) });
  return files;
}

/** The tar entries of the official archive: the folder, then each file under it. */
export function cifarTarEntries(data: CifarData): TarEntry[] {
  return [
    { name: `${ARCHIVE_FOLDER}/` },
    ...cifarFiles(data).map((f) => ({ name: `${ARCHIVE_FOLDER}/${f.name}`, data: f.data })),
  ];
}

/** Writes `data` as a gzipped tar archive with the official member names (atomically; creates the folder). */
export async function writeCifarArchive(path: string, data: CifarData): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await writeFileAtomic(path, await gzip(encodeTar(cifarTarEntries(data))));
}

/** Writes `data` as an extracted archive: `<dir>/cifar-10-batches-bin/<files>`; returns that folder. */
export async function writeCifarFolder(dir: string, data: CifarData): Promise<string> {
  const folder = `${dir.replace(/\/+$/, "")}/${ARCHIVE_FOLDER}`;
  await Deno.mkdir(folder, { recursive: true });
  for (const file of cifarFiles(data)) await writeFileAtomic(`${folder}/${file.name}`, file.data);
  return folder;
}
