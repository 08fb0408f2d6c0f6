/**
 * Writes a data set in the official layout of its format (a {@linkcode CifarSpec}, default
 * CIFAR-10): a `.tar.gz` archive or an extracted folder with `cifar-10-batches-bin/` (the
 * five training batches, the test batch and `batches.meta.txt`) or `cifar-100-binary/`
 * (`train.bin`, `test.bin`, `fine_label_names.txt`, `coarse_label_names.txt`).
 *
 * @module
 */
import { writeFileAtomic } from "@slimming/tensor-utils/core";
import { type CifarData, encodeClassNames, encodeRecords } from "./format.ts";
import { gzip } from "./gzip.ts";
import { CIFAR10_SPEC, type CifarSpec } from "./spec.ts";
import { encodeTar, type TarEntry } from "./tar_writer.ts";

/**
 * The files of the official layout (names relative to the spec's folder): the training
 * split cut into the spec's training files as equal as possible (so it needs at least one
 * record per file), the test split and the class names.
 */
export function cifarFiles(
  data: CifarData,
  spec: CifarSpec = CIFAR10_SPEC,
): { name: string; data: Uint8Array }[] {
  const n = data.train.count, parts = spec.trainFiles.length;
  if (n < parts) throw new RangeError(`need at least ${parts} training records, got ${n}`);
  if (data.test.count < 1) throw new RangeError("need at least one test record");
  const files = [{ name: spec.namesFile, data: encodeClassNames(data.classNames) }];
  if (spec.coarse) {
    const names = data.coarseClassNames ?? spec.coarse.classNames;
    files.push({ name: spec.coarse.namesFile, data: encodeClassNames(names) });
  }
  let start = 0;
  spec.trainFiles.forEach((name, i) => {
    const end = start + Math.floor(n / parts) + (i < n % parts ? 1 : 0);
    files.push({ name, data: encodeRecords(data.train, start, end, spec) });
    start = end;
  });
  files.push({ name: spec.testFile, data: encodeRecords(data.test, 0, data.test.count, spec) });
  return files;
}

/** The tar entries of the official archive: the folder, then each file under it. */
export function cifarTarEntries(data: CifarData, spec: CifarSpec = CIFAR10_SPEC): TarEntry[] {
  return [
    { name: `${spec.folder}/` },
    ...cifarFiles(data, spec).map((f) => ({ name: `${spec.folder}/${f.name}`, data: f.data })),
  ];
}

/** Writes `data` as a gzipped tar archive with the official member names (atomically; creates the folder). */
export async function writeCifarArchive(
  path: string,
  data: CifarData,
  spec: CifarSpec = CIFAR10_SPEC,
): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await writeFileAtomic(path, await gzip(encodeTar(cifarTarEntries(data, spec))));
}

/** Writes `data` as an extracted archive: `<dir>/<spec folder>/<files>`; returns that folder. */
export async function writeCifarFolder(
  dir: string,
  data: CifarData,
  spec: CifarSpec = CIFAR10_SPEC,
): Promise<string> {
  const folder = `${dir.replace(/\/+$/, "")}/${spec.folder}`;
  await Deno.mkdir(folder, { recursive: true });
  for (const file of cifarFiles(data, spec)) {
    await writeFileAtomic(`${folder}/${file.name}`, file.data);
  }
  return folder;
}
