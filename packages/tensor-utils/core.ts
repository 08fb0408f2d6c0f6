/**
 * The tfjs-free half of tensor-utils: typed user errors, seeded randomness, atomic files and
 * safetensors bytes, run-folder locks and the
 * help format. Importing it loads no tfjs and changes no global state, so the dataset
 * package and the report use it without pulling in a tensor backend.
 *
 * @module
 */

/** Typed user errors and their exit codes (2 bad input, 3 divergence). */
export {
  CheckpointError,
  DataError,
  DivergenceError,
  exitCodeOf,
  isFileSystemError,
  UsageError,
  userErrorExit,
  userErrorExitCodes,
  WriteError,
} from "./errors.ts";
/** Seeded, splittable randomness. */
export { createRng, deriveSeed, permutation, type Rng } from "./rng.ts";
/** Atomic writes, JSON reads, temp-file cleanup and SHA-256. */
export {
  readJsonIfExists,
  removeStaleTempFiles,
  sha256Hex,
  writeFileAtomic,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from "./files.ts";
/** The safetensors format as bytes. */
export {
  type DecodeOptions,
  decodeSafetensors,
  encodeSafetensors,
  f32,
  MAX_HEADER_BYTES,
  type NamedArray,
  readSafetensors,
  type SafetensorsData,
  type SafetensorsDtype,
  safetensorsDtypeOf,
  type SafetensorsFile,
} from "./safetensors.ts";
/** Checked reading of a checkpoint's tensors by name (every model's `fromStateDict`). */
export { selectedChannels, type StateDictReader, stateDictReader } from "./state_dict_reader.ts";
/** One process at a time per run folder (flock on `<dir>/.lock`). */
export { type DirLock, LOCK_FILE, lockDir, type LockHolder, staleLockNote } from "./dir_lock.ts";
/** The first check of a command that writes a run folder. */
export { prepareOutDir } from "./out_dir.ts";
/** The help text of a command, one format for both apps. */
export { helpText, type OptionSpec, type OptionSpecs } from "./cli_help.ts";
/** Whether a path exists. */
export { exists, existsSync } from "./paths.ts";
/** Summary statistics. */
export { median } from "./stats.ts";
