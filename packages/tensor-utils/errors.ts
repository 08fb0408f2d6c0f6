/**
 * Errors a user can cause. The CLI maps each to a one-line message and an exit code;
 * anything else is a bug and keeps its stack trace.
 *
 * @module
 */

/** Bad command-line options or arguments (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A dataset file or archive that is missing, truncated or malformed (exit code 2). */
export class DataError extends Error {
  override name = "DataError";
}

/** A checkpoint (safetensors) that cannot be read or does not fit the model (exit code 2). */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** Training produced a NaN or infinite loss (exit code 3). */
export class DivergenceError extends Error {
  override name = "DivergenceError";
}

/** A file could not be written (read-only folder, full disk) (exit code 2). */
export class WriteError extends Error {
  override name = "WriteError";
}

/** Every error class that is the user's to fix, with its exit code. */
export const userErrorExitCodes: ReadonlyArray<readonly [new (...args: never[]) => Error, number]> =
  [
    [UsageError, 2],
    [DataError, 2],
    [CheckpointError, 2],
    [WriteError, 2],
    [DivergenceError, 3],
  ];

/** OS error numbers of file-system failures a user causes (ENOENT, EACCES, ENOSPC, EROFS...). */
const FILE_SYSTEM_ERRNOS = new Set([1, 2, 13, 17, 20, 21, 28, 30, 31, 36, 39, 40, 122]);

/**
 * Whether `error` is a file-system failure (a path missing, not writable, a read-only mount,
 * a full disk): the user's to fix wherever it happens, so one line and exit 2, not a trace.
 */
export function isFileSystemError(error: unknown): boolean {
  const errors = Deno.errors;
  if (
    error instanceof errors.NotFound || error instanceof errors.PermissionDenied ||
    error instanceof errors.AlreadyExists || error instanceof errors.NotADirectory ||
    error instanceof errors.IsADirectory || error instanceof errors.FilesystemLoop ||
    error instanceof errors.NotCapable
  ) {
    return true;
  }
  const errno = error instanceof Error ? /\(os error (\d+)\)/.exec(error.message)?.[1] : undefined;
  return errno !== undefined && FILE_SYSTEM_ERRNOS.has(Number(errno));
}

/** Exit code for an error a user can cause, or `undefined` for a bug. */
export function exitCodeOf(error: unknown): number | undefined {
  for (const [type, code] of userErrorExitCodes) {
    if (error instanceof type) return code;
  }
  return isFileSystemError(error) ? 2 : undefined;
}

/**
 * The end of a command's `catch`: for a user error, prints `error: <its first line>` and
 * returns its exit code; anything else is a bug and is rethrown, keeping its stack trace.
 */
export function userErrorExit(
  error: unknown,
  print: (line: string) => void = console.error,
): number {
  const code = exitCodeOf(error);
  if (code === undefined) throw error;
  print(`error: ${(error as Error).message.split("\n")[0]}`);
  return code;
}
