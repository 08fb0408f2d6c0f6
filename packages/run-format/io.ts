/**
 * Writing and reading the records of a run folder by their file names. Writes are atomic
 * (`writeJsonAtomic`); a read resolves with undefined when the file does not exist and
 * checks nothing else (the report validates what it reads).
 *
 * @module
 */
import { join } from "node:path";
import {
  readJsonIfExists,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from "@slimming/tensor-utils/core";
import { LAB_FILES, PRUNE_FILES, RUN_FILES, SWEEP_FILES } from "./files.ts";
import type { EpochRecord, LabSummary, PruneSummary, RunConfig, SweepSummary } from "./records.ts";
import {
  parseHistory,
  parseLabInfo,
  parsePruneSummary,
  parseRunConfig,
  parseSweepSummary,
} from "./validate.ts";

/** The JSON file `path` checked by `parse`, or undefined when it does not exist. */
async function readValidated<T>(
  path: string,
  parse: (json: unknown, path: string) => T,
): Promise<T | undefined> {
  const json = await readJsonIfExists<unknown>(path);
  return json === undefined ? undefined : parse(json, path);
}

/** Writes `<dir>/config.json`. */
export function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  return writeJsonAtomic(join(dir, RUN_FILES.config), config);
}

/** Reads `<dir>/config.json`, validated (a DataError naming the file and field otherwise). */
export function readRunConfig(dir: string): Promise<RunConfig | undefined> {
  return readValidated(join(dir, RUN_FILES.config), parseRunConfig);
}

/** Writes `<dir>/history.json`. */
export function writeHistory(dir: string, history: readonly EpochRecord[]): Promise<void> {
  return writeJsonAtomic(join(dir, RUN_FILES.history), history);
}

/** Reads `<dir>/history.json`, validated. */
export function readHistory(dir: string): Promise<EpochRecord[] | undefined> {
  return readValidated(join(dir, RUN_FILES.history), parseHistory);
}

/** Writes `<dir>/prune.json`. */
export function writePruneSummary(dir: string, summary: PruneSummary): Promise<void> {
  return writeJsonAtomic(join(dir, PRUNE_FILES.summary), summary);
}

/** Reads `<dir>/prune.json`, validated. */
export function readPruneSummary(dir: string): Promise<PruneSummary | undefined> {
  return readValidated(join(dir, PRUNE_FILES.summary), parsePruneSummary);
}

/** Writes `<dir>/sweep.json`. */
export function writeSweepSummary(dir: string, summary: SweepSummary): Promise<void> {
  return writeJsonAtomic(join(dir, SWEEP_FILES.summary), summary);
}

/** Reads `<dir>/sweep.json`, validated. */
export function readSweepSummary(dir: string): Promise<SweepSummary | undefined> {
  return readValidated(join(dir, SWEEP_FILES.summary), parseSweepSummary);
}

/** Writes `<dir>/lab.json`. */
export function writeLabSummary(dir: string, summary: LabSummary): Promise<void> {
  return writeJsonAtomic(join(dir, LAB_FILES.summary), summary);
}

/** Writes `<dir>/lab.json` synchronously (from a Ctrl-C handler, before the process exits). */
export function writeLabSummarySync(dir: string, summary: LabSummary): void {
  writeJsonAtomicSync(join(dir, LAB_FILES.summary), summary);
}

/**
 * Reads `<dir>/lab.json`, validated: the fields a lab's structure depends on (stages, λ's,
 * ratios, events) are checked; the rest as present.
 */
export function readLabSummary(dir: string): Promise<LabSummary | undefined> {
  return readValidated(
    join(dir, LAB_FILES.summary),
    (json, path) => parseLabInfo(json, path) as LabSummary,
  );
}
