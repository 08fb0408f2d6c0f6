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

/** Writes `<dir>/config.json`. */
export function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  return writeJsonAtomic(join(dir, RUN_FILES.config), config);
}

/** Reads `<dir>/config.json`. */
export function readRunConfig(dir: string): Promise<RunConfig | undefined> {
  return readJsonIfExists<RunConfig>(join(dir, RUN_FILES.config));
}

/** Writes `<dir>/history.json`. */
export function writeHistory(dir: string, history: readonly EpochRecord[]): Promise<void> {
  return writeJsonAtomic(join(dir, RUN_FILES.history), history);
}

/** Reads `<dir>/history.json`. */
export function readHistory(dir: string): Promise<EpochRecord[] | undefined> {
  return readJsonIfExists<EpochRecord[]>(join(dir, RUN_FILES.history));
}

/** Writes `<dir>/prune.json`. */
export function writePruneSummary(dir: string, summary: PruneSummary): Promise<void> {
  return writeJsonAtomic(join(dir, PRUNE_FILES.summary), summary);
}

/** Reads `<dir>/prune.json`. */
export function readPruneSummary(dir: string): Promise<PruneSummary | undefined> {
  return readJsonIfExists<PruneSummary>(join(dir, PRUNE_FILES.summary));
}

/** Writes `<dir>/sweep.json`. */
export function writeSweepSummary(dir: string, summary: SweepSummary): Promise<void> {
  return writeJsonAtomic(join(dir, SWEEP_FILES.summary), summary);
}

/** Reads `<dir>/sweep.json`. */
export function readSweepSummary(dir: string): Promise<SweepSummary | undefined> {
  return readJsonIfExists<SweepSummary>(join(dir, SWEEP_FILES.summary));
}

/** Writes `<dir>/lab.json`. */
export function writeLabSummary(dir: string, summary: LabSummary): Promise<void> {
  return writeJsonAtomic(join(dir, LAB_FILES.summary), summary);
}

/** Writes `<dir>/lab.json` synchronously (from a Ctrl-C handler, before the process exits). */
export function writeLabSummarySync(dir: string, summary: LabSummary): void {
  writeJsonAtomicSync(join(dir, LAB_FILES.summary), summary);
}

/** Reads `<dir>/lab.json`. */
export function readLabSummary(dir: string): Promise<LabSummary | undefined> {
  return readJsonIfExists<LabSummary>(join(dir, LAB_FILES.summary));
}
