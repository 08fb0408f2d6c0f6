/**
 * Builds `slim_kernels.wasm` from the C sources in `src/` with clang 16+ and lld (Debian:
 * `apt-get install clang-16 lld-16`; relaxed SIMD). The result is committed so users need no compiler;
 * `--check` rebuilds into a temp file and fails when it differs from the committed one.
 *
 * Usage: deno task build:kernels [--check]
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { compiledPaths, readKernelSources } from "./sources.ts";

/** clang flags of the WebAssembly build. */
export const WASM_FLAGS: readonly string[] = [
  "--target=wasm32",
  "-O3",
  "-msimd128",
  "-mrelaxed-simd",
  "-mbulk-memory",
  "-matomics",
  "-mmutable-globals",
  "-ffp-contract=fast",
  "-nostdlib",
  "-ffreestanding",
  "-fno-builtin",
  "-Wl,--no-entry",
  "-Wl,--import-memory",
  "-Wl,--shared-memory",
  "-Wl,--max-memory=4294967296",
  "-Wl,--export=__stack_pointer",
  "-Wl,-z,stack-size=1048576",
  "-Wl,--strip-all",
];

/** The clang versions tried, newest first, when `CLANG` does not name one. */
const CLANG_CANDIDATES = ["clang-19", "clang-18", "clang-17", "clang-16", "clang"];

/** The major version `compiler --version` reports, or 0 if it does not run. */
async function clangMajor(compiler: string): Promise<number> {
  try {
    const out = await new Deno.Command(compiler, { args: ["--version"], stdout: "piped" }).output();
    const match = new TextDecoder().decode(out.stdout).match(/clang version (\d+)/);
    return out.success && match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The clang to build with: `CLANG`, else the newest of clang-19 .. clang-16 or clang. It must be
 * 16 or newer: older ones know only the pre-standard relaxed SIMD opcodes, so the kernels'
 * fused multiply-adds (`vmadd` in src/slim_internal.h) would fall back to a multiply and an add.
 */
export async function wasmCompiler(): Promise<string> {
  const named = Deno.env.get("CLANG");
  for (const compiler of named ? [named] : CLANG_CANDIDATES) {
    const major = await clangMajor(compiler);
    if (major >= 16) return compiler;
    if (named) {
      throw new Error(
        `${named} is clang ${
          major || "(not found)"
        }; the WebAssembly build needs clang 16 or newer`,
      );
    }
  }
  throw new Error(
    "no clang 16 or newer (for WebAssembly relaxed SIMD): apt-get install clang-16 lld-16",
  );
}

/** Compiles the kernels to `out`; throws with clang's first error line on failure. */
export async function buildWasm(out: string, compiler?: string): Promise<void> {
  compiler ??= await wasmCompiler();
  const sources = compiledPaths(await readKernelSources());
  const result = await new Deno.Command(compiler, {
    args: [...WASM_FLAGS, "-o", out, ...sources],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(new TextDecoder().decode(result.stderr).trim().split("\n")[0]);
  }
}

if (import.meta.main) {
  const target = fromFileUrl(new URL("./slim_kernels.wasm", import.meta.url));
  const check = Deno.args.includes("--check");
  const out = check ? await Deno.makeTempFile({ suffix: ".wasm" }) : target;
  try {
    await buildWasm(out);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
  if (check) {
    const [a, b] = await Promise.all([Deno.readFile(out), Deno.readFile(target)]);
    await Deno.remove(out);
    const same = a.length === b.length && a.every((v, i) => v === b[i]);
    console.log(
      same
        ? "slim_kernels.wasm is up to date"
        : "slim_kernels.wasm is stale: run deno task build:kernels",
    );
    Deno.exit(same ? 0 : 1);
  }
  console.log(`wrote ${target} (${(await Deno.stat(target)).size} bytes)`);
}
