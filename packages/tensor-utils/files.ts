/**
 * Atomic file writes: temp file in the same folder, flushed, then renamed over the
 * target, so a kill or a failed write never leaves a half-written file in its place.
 *
 * @module
 */
import { DataError, WriteError } from "./errors.ts";

/**
 * Fault-injection hook for the kill tests: milliseconds to wait between writing a temp file
 * and renaming it (env SLIMMING_TEST_WRITE_DELAY_MS), so a SIGKILL can land mid-write.
 */
function testWriteDelay(): number {
  try {
    return Number(Deno.env.get("SLIMMING_TEST_WRITE_DELAY_MS") ?? 0) || 0;
  } catch {
    return 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * A fresh temp file beside `path`, named as {@linkcode removeStaleTempFiles} recognises it
 * (`.<file>.<pid>.<id>.tmp`).
 */
function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  return `${dir}/.${base}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/** A value as the JSON files are written: pretty, with a final newline. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** Writes `data` to `path` atomically; a failure is a {@linkcode WriteError} and the old file survives. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const temp = tempPathFor(path);
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    const delay = testWriteDelay();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new WriteError(`cannot write ${path}: ${describe(error)}`);
  }
}

/** Writes `value` as pretty JSON (with a final newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, jsonText(value));
}

/**
 * {@linkcode writeJsonAtomic} without awaiting: for a signal handler that must write before the
 * process exits. A failure is a {@linkcode WriteError} and the old file survives.
 */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  const temp = tempPathFor(path);
  try {
    Deno.writeTextFileSync(temp, jsonText(value));
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // nothing to remove
    }
    throw new WriteError(`cannot write ${path}: ${describe(error)}`);
  }
}

/** Reads and parses a JSON file, or returns `undefined` when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DataError(`${path} is not valid JSON`);
  }
}

/** Removes temp files a killed {@linkcode writeFileAtomic} left in `dir` (names `.<file>.<pid>.<id>.tmp`). */
export async function removeStaleTempFiles(dir: string): Promise<number> {
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(entry.name)) {
        await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
        removed++;
      }
    }
  } catch {
    // no folder yet
  }
  return removed;
}

/** SHA-256 of bytes (or of a string's UTF-8), as lowercase hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
