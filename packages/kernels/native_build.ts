/**
 * The native build of the kernels: compiled on first use from the C sources in `src/` with
 * the machine's C compiler (`-O3 -march=native -fopenmp`) into `build/kernels/` at the
 * repository root, once per source, flags, compiler and CPU.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { sha256Hex } from "@slimming/tensor-utils/core";
import { compiledPaths, readKernelSources, sourcesDigestText } from "./sources.ts";

const defaultBuildDir = fromFileUrl(new URL("../../build/kernels/", import.meta.url));

/** Compiler flags of the native build. */
export const NATIVE_FLAGS: readonly string[] = [
  "-O3",
  "-march=native",
  "-fopenmp",
  "-ffp-contract=fast",
  "-shared",
  "-fPIC",
  // Never unloaded: OpenMP's threads run library code until the process exits, and Deno
  // closes dynamic libraries when an isolate shuts down.
  "-Wl,-z,nodelete",
];

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

/** Where the native library for this source, compiler and CPU is (building it if needed). */
export async function buildNativeLibrary(
  options: { buildDir?: string; compiler?: string; log?: (line: string) => void } = {},
): Promise<{ path: string } | { error: string }> {
  if (Deno.build.os === "windows") return { error: "native kernels are built for Linux and macOS" };
  const compiler = options.compiler ?? Deno.env.get("CC") ?? "cc";
  const version = await commandOutput(compiler, ["--version"]);
  if (version === undefined) return { error: `no C compiler (${compiler}) found` };
  const sources = await readKernelSources();
  const flags = [...NATIVE_FLAGS, ...extraNativeFlags()];
  const key = await sha256Hex(
    [sourcesDigestText(sources), flags.join(" "), version, await cpuSignature()].join("\n"),
  );
  const dir = options.buildDir ?? Deno.env.get("SLIMMING_BUILD_DIR") ?? defaultBuildDir;
  const ext = Deno.build.os === "darwin" ? "dylib" : "so";
  const path = `${dir}/slim_kernels-${key.slice(0, 16)}.${ext}`;
  try {
    await Deno.stat(path);
    return { path };
  } catch {
    // not built yet
  }
  await Deno.mkdir(dir, { recursive: true });
  options.log?.(`building native kernels with ${compiler} (once per machine) ...`);
  const temp = `${path}.${Deno.pid}.tmp`;
  const out = await new Deno.Command(compiler, {
    args: [...flags, "-o", temp, ...compiledPaths(sources)],
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
