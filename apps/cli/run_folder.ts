/**
 * The first steps of every command that writes a run folder, before any backend, data or
 * model is loaded: `--out` must be a usable folder (`prepareOutDir`), then it is locked for
 * this process (`lockDir`) until the command ends, however it ends. Ctrl-C releases the lock
 * and exits 130 with one line saying how the run continues.
 *
 * @module
 */
import {
  type DirLock,
  existsSync,
  LOCK_FILE,
  lockDir,
  prepareOutDir,
  staleLockNote,
} from "@slimming/tensor-utils/core";

/** How a command holds its run folder. */
export interface RunFolderOptions {
  /** The command, as the lock file names it (e.g. "train"). */
  readonly command: string;
  /** The option naming the folder, for messages (default `--out`). */
  readonly option?: string;
  /** What Ctrl-C prints after `interrupted:` (how to continue); none: a plain line. */
  readonly onInterrupt?: string;
  /** Run on Ctrl-C before the process exits (synchronous; a throw is ignored). */
  readonly beforeExit?: () => void;
}

/** A folder checked, created and locked for one command. */
export interface HeldFolder {
  readonly dir: string;
  /** Whether the folder existed before this command (false: it was created). */
  readonly existed: boolean;
  readonly lock: DirLock;
  /** Releases the lock and stops listening for Ctrl-C (idempotent). */
  release(): void;
}

/**
 * Checks, creates and locks `dir` for `options.command` (one-line UsageError/WriteError when
 * it cannot be used or another process holds it); prints a note when a killed run's lock was
 * taken over, and installs the Ctrl-C handler.
 */
export function holdFolder(
  dir: string,
  options: RunFolderOptions,
  log: (line: string) => void,
): HeldFolder {
  const existed = existsSync(dir);
  prepareOutDir(dir, options.option ?? "--out");
  // The Ctrl-C handler goes in before the lock is taken: a signal that arrives as soon as the
  // lock file exists (what another process can see) still gets the one-line message.
  let lock: ReturnType<typeof lockDir> | undefined;
  const onSignal = () => {
    try {
      options.beforeExit?.();
    } catch {
      // The exit must happen; what could not be recorded stays as it was.
    }
    lock?.release();
    console.error(
      options.onInterrupt ? `\ninterrupted: ${options.onInterrupt}` : "\ninterrupted",
    );
    Deno.exit(130);
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSignal);
    listening = true;
  } catch {
    // No SIGINT listener on this system: the default handling ends the process, and the
    // kernel drops the lock with it.
  }
  try {
    lock = lockDir(dir, options.command);
  } catch (error) {
    if (listening) Deno.removeSignalListener("SIGINT", onSignal);
    throw error;
  }
  const held = lock;
  const stale = staleLockNote(dir, held);
  if (stale) log(stale);
  let released = false;
  return {
    dir,
    existed,
    lock: held,
    release() {
      if (released) return;
      released = true;
      if (listening) Deno.removeSignalListener("SIGINT", onSignal);
      held.release();
    },
  };
}

/** Removes `dir` when it holds nothing but its lock file (a failed command's new folder). */
function removeIfUnused(dir: string): void {
  try {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    if (names.every((n) => n === LOCK_FILE)) Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already gone, or not ours to judge: leave it.
  }
}

/**
 * Runs `body` holding `dir` ({@linkcode holdFolder}); releases it on every exit path. When
 * `body` fails, a folder this command created and left empty is removed again, so a bad
 * checkpoint or option leaves nothing behind.
 */
export async function withFolder<T>(
  dir: string,
  options: RunFolderOptions,
  log: (line: string) => void,
  body: (folder: HeldFolder) => Promise<T>,
): Promise<T> {
  const folder = holdFolder(dir, options, log);
  try {
    return await body(folder);
  } catch (error) {
    folder.release();
    if (!folder.existed) removeIfUnused(dir);
    throw error;
  } finally {
    folder.release();
  }
}
