/**
 * The first thing a command that writes a run folder does: make sure `--out` can be one,
 * before any data or model is loaded, so a wrong path costs a second, not a training start.
 *
 * @module
 */
import { UsageError, WriteError } from "./errors.ts";

function reason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return /read-only/i.test(message) ? "read-only file system" : message.replace(/[:,] .*$/, "");
}

/**
 * Creates folder `dir` (and its parents) if needed and checks a file can be written in it.
 * A path naming an existing file is a UsageError; a folder that cannot be created or written
 * (permissions, read-only mount) is a WriteError. Both are one-line messages.
 */
export function prepareOutDir(dir: string, option = "--out"): void {
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new WriteError(`${option} ${dir}: cannot use it (${reason(error)})`);
    }
  }
  if (info && !info.isDirectory) {
    throw new UsageError(`${option} ${dir} is a file, not a folder; choose another ${option}`);
  }
  if (!info) {
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new WriteError(`${option} ${dir}: cannot create the folder (${reason(error)})`);
    }
  }
  const probe = `${dir}/.write-check.${Deno.pid}.tmp`;
  try {
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
  } catch (error) {
    throw new WriteError(`${option} ${dir}: cannot write in the folder (${reason(error)})`);
  }
}
