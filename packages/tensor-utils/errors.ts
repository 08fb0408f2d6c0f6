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

/** Exit code for an error a user can cause, or `undefined` for a bug. */
export function exitCodeOf(error: unknown): number | undefined {
  for (const [type, code] of userErrorExitCodes) {
    if (error instanceof type) return code;
  }
  return undefined;
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
