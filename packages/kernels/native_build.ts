/**
 * The native build of the kernels: compiled on first use from the C sources in `src/` with
 * the machine's C compiler (`-O3 -march=native -fopenmp`) into `build/kernels/` at the
 * repository root, once per source, flags, compiler and CPU.
 *
 * The build tries what the compiler supports: OpenMP first, and where the compiler has none
 * (Apple clang) our own pthread pool (`-DSLIM_THREADS_POOL -pthread`); `-march=native`
 * first, and `-mcpu=native` where that is refused (clang on arm64). Each try is a tiny probe
 * compile with the same flags, so only a working set of flags runs the full build.
 * `SLIMMING_THREADS=pool` or `=openmp` (or the `threading` option) forces one threading; the
 * threading is in the library's file name and its flags in the build key.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { sha256Hex } from "@slimming/tensor-utils/core";
import { compiledPaths, readKernelSources, sourcesDigestText } from "./sources.ts";

const defaultBuildDir = fromFileUrl(new URL("../../build/kernels/", import.meta.url));

/** How the native library runs its threads: OpenMP, or our own pthread pool. */
export type Threading = "openmp" | "pool";

/** The flag that targets this machine's CPU: `-march=native`, else `-mcpu=native`. */
export type NativeTarget = "-march=native" | "-mcpu=native";

/** The flags that pick a threading (OpenMP, or our pool: `src/common.c`). */
export const THREADING_FLAGS: Readonly<Record<Threading, readonly string[]>> = {
  openmp: ["-fopenmp"],
  pool: ["-DSLIM_THREADS_POOL", "-pthread"],
};

/** Compiler flags of the native build for a threading and CPU target flag. */
export function nativeFlags(
  threading: Threading = "openmp",
  target: NativeTarget = "-march=native",
): string[] {
  return [
    "-O3",
    target,
    ...THREADING_FLAGS[threading],
    "-ffp-contract=fast",
    "-shared",
    "-fPIC",
    ...extraNativeFlags(),
  ];
}

/**
 * Compiler flags of the default (OpenMP) native build. The library is never unloaded: its
 * constructor (`src/common.c`) opens itself again with RTLD_NODELETE, since the worker
 * threads run library code until the process exits and Deno closes dynamic libraries when
 * an isolate shuts down.
 */
export const NATIVE_FLAGS: readonly string[] = nativeFlags();

/** Libraries linked after the sources (dladdr/dlopen: in libc since glibc 2.34; harmless). */
const NATIVE_LIBS: readonly string[] = Deno.build.os === "linux" ? ["-ldl"] : [];

/** The threading `SLIMMING_THREADS` forces (`openmp` or `pool`), or an error for another value. */
export function threadingFromEnv(): Threading | undefined | { error: string } {
  let value: string | undefined;
  try {
    value = Deno.env.get("SLIMMING_THREADS");
  } catch {
    return undefined; // no env permission: let the build choose
  }
  if (value === undefined || value === "") return undefined;
  if (value === "openmp" || value === "pool") return value;
  return { error: `SLIMMING_THREADS=${value}: expected "openmp" or "pool"` };
}

/** A tiny program with a build's threading, compiled first to see whether the flags work. */
const PROBE_SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#ifdef SLIM_THREADS_POOL
#include <pthread.h>
int slim_probe(void) { return pthread_self() != 0; }
#else
#include <omp.h>
int slim_probe(void) { return omp_get_max_threads(); }
#endif
int slim_probe_dl(void) { Dl_info i; return dladdr((void *)&slim_probe, &i); }
`;

/** Compiles the probe with `flags`: undefined when that works, else the compiler's complaint. */
async function probe(compiler: string, flags: readonly string[]): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "slim_probe" });
  try {
    await Deno.writeTextFile(`${dir}/probe.c`, PROBE_SOURCE);
    const out = await new Deno.Command(compiler, {
      args: [...flags, "-o", `${dir}/probe.so`, `${dir}/probe.c`, ...NATIVE_LIBS],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) return undefined;
    return new TextDecoder().decode(out.stderr).split("\n").find((l) => l.trim()) ?? "failed";
  } catch (e) {
    return String(e);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Extra compiler flags from `SLIMMING_CFLAGS` (split on spaces), appended to
 * {@linkcode NATIVE_FLAGS} and part of the build's key: `SLIMMING_CFLAGS=-mno-avx512f` builds
 * the AVX2 kernels a laptop runs on a machine with AVX-512.
 */
export function extraNativeFlags(): string[] {
  return (Deno.env.get("SLIMMING_CFLAGS") ?? "").split(/\s+/).filter((f) => f !== "");
}

async function commandOutput(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

async function cpuSignature(): Promise<string> {
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    const pick = (key: string) => info.match(new RegExp(`^${key}\\s*:\\s*(.*)$`, "m"))?.[1] ?? "";
    return `${pick("model name")}|${pick("flags")}`;
  } catch {
    return `${Deno.build.os}-${Deno.build.arch}`;
  }
}

/** A built native library: its path and the threading it was built with. */
export interface NativeLibraryBuild {
  readonly path: string;
  readonly threading: Threading;
  readonly flags: readonly string[];
}

/**
 * Where the native library for this source, compiler and CPU is (building it if needed):
 * the first of OpenMP then our pool (unless `threading` or `SLIMMING_THREADS` picks one),
 * each with `-march=native` then `-mcpu=native`, that the compiler accepts.
 */
export async function buildNativeLibrary(
  options: {
    buildDir?: string;
    compiler?: string;
    threading?: Threading;
    log?: (line: string) => void;
  } = {},
): Promise<NativeLibraryBuild | { error: string }> {
  if (Deno.build.os === "windows") return { error: "native kernels are built for Linux and macOS" };
  const forced = options.threading ?? threadingFromEnv();
  if (typeof forced === "object") return forced;
  const compiler = options.compiler ?? Deno.env.get("CC") ?? "cc";
  const version = await commandOutput(compiler, ["--version"]);
  if (version === undefined) return { error: `no C compiler (${compiler}) found` };
  const sources = await readKernelSources();
  const cpu = await cpuSignature();
  const dir = options.buildDir ?? Deno.env.get("SLIMMING_BUILD_DIR") ?? defaultBuildDir;
  const ext = Deno.build.os === "darwin" ? "dylib" : "so";
  const refused: string[] = [];
  for (const threading of forced ? [forced] : ["openmp", "pool"] as const) {
    for (const target of ["-march=native", "-mcpu=native"] as const) {
      const flags = nativeFlags(threading, target);
      const key = await sha256Hex(
        [sourcesDigestText(sources), [...flags, ...NATIVE_LIBS].join(" "), version, cpu].join("\n"),
      );
      const path = `${dir}/slim_kernels-${threading}-${key.slice(0, 16)}.${ext}`;
      try {
        await Deno.stat(path);
        return { path, threading, flags };
      } catch {
        // not built yet
      }
      const why = await probe(compiler, flags);
      if (why !== undefined) {
        refused.push(`${flags.join(" ")}: ${why}`);
        continue;
      }
      const built = await compile(compiler, flags, path, compiledPaths(sources), options.log);
      return "error" in built ? built : { path, threading, flags };
    }
  }
  return { error: `native kernel build failed: ${compiler} refused ${refused.join("; ")}` };
}

/** Compiles the library at `path` (through a temporary file, so concurrent builds are safe). */
async function compile(
  compiler: string,
  flags: readonly string[],
  path: string,
  sources: readonly string[],
  log?: (line: string) => void,
): Promise<{ path: string } | { error: string }> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  log?.(`building native kernels with ${compiler} ${flags.join(" ")} (once per machine) ...`);
  const temp = `${path}.${Deno.pid}.tmp`;
  const out = await new Deno.Command(compiler, {
    args: [...flags, "-o", temp, ...sources, ...NATIVE_LIBS],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!out.success) {
    await Deno.remove(temp).catch(() => {});
    const why = new TextDecoder().decode(out.stderr).split("\n").find((l) => l.trim()) ?? "failed";
    return { error: `native kernel build failed: ${why}` };
  }
  await Deno.rename(temp, path);
  return { path };
}
