/**
 * One process at a time per run folder: an exclusive advisory lock (`flock`) on
 * `<dir>/.lock`, which holds the holder's pid, command and start time. The kernel drops the
 * lock when its process dies, however it dies, so a lock can never outlive its holder; a
 * lock file left behind by a killed process is detected (it names a pid that holds no lock)
 * and reported as stale when the next run takes the folder over.
 *
 * @module
 */
import { UsageError, WriteError } from "./errors.ts";

/** The file inside a locked folder. */
export const LOCK_FILE = ".lock";

/** What a lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
}

/** A held lock; `release()` empties the lock file and lets the next run in. */
export interface DirLock {
  readonly path: string;
  /** The holder a killed run left behind, when this run took its folder over. */
  readonly stale?: LockHolder;
  release(): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const O_RDWR = 2;
const O_CREAT_LINUX = 0o100;
const O_CREAT_DARWIN = 0x200;

type Libc = Deno.DynamicLibrary<{
  open: { parameters: ["buffer", "i32", "i32"]; result: "i32" };
  flock: { parameters: ["i32", "i32"]; result: "i32" };
  close: { parameters: ["i32"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  const name = Deno.build.os === "linux"
    ? "libc.so.6"
    : Deno.build.os === "darwin"
    ? "libSystem.dylib"
    : "";
  try {
    libc = name === "" ? null : Deno.dlopen(name, {
      open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
      flock: { parameters: ["i32", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
    });
  } catch {
    libc = null;
  }
  return libc;
}

function describeHolder(holder: LockHolder | undefined): string {
  return holder
    ? `'${holder.command}' (pid ${holder.pid}, started ${holder.started})`
    : "another process";
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(Deno.readTextFileSync(path));
    return typeof value?.pid === "number" ? value as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The holder of a lock another process just took: it writes its record right after taking
 * the lock, so an empty or half-written file is retried for up to half a second.
 */
function readLiveHolder(path: string): LockHolder | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 20; attempt++) {
    const holder = readHolder(path);
    if (holder) return holder;
    Atomics.wait(pause, 0, 0, 25);
  }
  return undefined;
}

/** The one line that says a killed run's lock on `dir` was taken over (undefined: none). */
export function staleLockNote(dir: string, lock: DirLock): string | undefined {
  const s = lock.stale;
  return s
    ? `note: took over ${dir} from '${s.command}' (pid ${s.pid}, started ${s.started}), ` +
      `which ended without releasing its lock (killed?)`
    : undefined;
}

/** Takes `<dir>/.lock` with flock, or says who holds it. */
function lockWithFlock(lib: Libc, path: string): number {
  const flags = O_RDWR | (Deno.build.os === "darwin" ? O_CREAT_DARWIN : O_CREAT_LINUX);
  const fd = lib.symbols.open(new TextEncoder().encode(`${path}\0`), flags, 0o644);
  if (fd < 0) throw new WriteError(`cannot create the lock file ${path}`);
  if (lib.symbols.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    lib.symbols.close(fd);
    return -1;
  }
  return fd;
}

/**
 * Locks run folder `dir` (which must exist) for `command`. A folder locked by a live process
 * is a UsageError naming the holder; a lock file left by a dead process is taken over and
 * returned as `stale`. Without flock (other systems), an exclusive create stands in.
 */
export function lockDir(dir: string, command: string): DirLock {
  const path = `${dir}/${LOCK_FILE}`;
  const lib = loadLibc();
  let fd = -1;
  if (lib) {
    fd = lockWithFlock(lib, path);
    if (fd < 0) {
      throw new UsageError(
        `${dir} is in use by ${
          describeHolder(readLiveHolder(path))
        }; wait for it or choose another --out`,
      );
    }
  } else {
    try {
      Deno.writeTextFileSync(path, "", { createNew: true }); // exclusive create stands in
    } catch {
      throw new UsageError(
        `${dir} is in use by ${describeHolder(readHolder(path))} (or a killed run left ${path}: ` +
          `remove it if no run is active)`,
      );
    }
  }
  const previous = readHolder(path);
  const stale = previous && previous.pid !== Deno.pid ? previous : undefined;
  const holder: LockHolder = { pid: Deno.pid, command, started: new Date().toISOString() };
  try {
    Deno.writeTextFileSync(path, `${JSON.stringify(holder)}\n`);
  } catch (error) {
    if (lib) lib.symbols.close(fd);
    throw new WriteError(`cannot write the lock file ${path}: ${(error as Error).message}`);
  }
  let released = false;
  return {
    path,
    stale,
    release() {
      if (released) return;
      released = true;
      try {
        if (lib) Deno.writeTextFileSync(path, "");
        else Deno.removeSync(path);
      } catch {
        // The folder was removed meanwhile: the lock still ends with the fd.
      }
      if (lib) lib.symbols.close(fd);
    },
  };
}
