/**
 * Builds `slim_kernels.wasm` from the C sources in `src/` with clang and lld (Debian:
 * `apt-get install clang lld`). The result is committed so users need no compiler;
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

/** Compiles the kernels to `out`; throws with clang's first error line on failure. */
export async function buildWasm(
  out: string,
  compiler = Deno.env.get("CLANG") ?? "clang",
): Promise<void> {
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
