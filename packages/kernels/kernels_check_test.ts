/**
 * The C test harness `test_c/kernels_check.c` (kernels against scalar reference loops on
 * random data), compiled into a program and run: natively with OpenMP and with our own thread
 * pool, and cross-compiled for aarch64 (NEON, 4-float vectors) and run under qemu-aarch64.
 * By hand, from `packages/kernels`:
 *
 *     aarch64-linux-gnu-gcc -O2 -static -ffp-contract=fast -DSLIM_STANDALONE \
 *       -DSLIM_THREADS_POOL -pthread -Isrc -o /tmp/kernels_check test_c/kernels_check.c src/*.c -lm
 *     qemu-aarch64 /tmp/kernels_check
 *
 * (Debian: `apt-get install gcc-aarch64-linux-gnu qemu-user`.) Each test is ignored, with the
 * reason, only where its tool is missing; where the tool exists, a failed build fails it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { type Threading, THREADING_FLAGS } from "./native_build.ts";
import { compiledPaths, readKernelSources } from "./sources.ts";

const HARNESS = fromFileUrl(new URL("./test_c/kernels_check.c", import.meta.url));
const SOURCE_DIR = fromFileUrl(new URL("./src/", import.meta.url));
const CROSS = "aarch64-linux-gnu-gcc";
const QEMU = "qemu-aarch64";

async function works(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

const compiler = Deno.env.get("CC") ?? "cc";
const noCompiler = Deno.build.os === "windows" || !(await works(compiler, ["--version"]));
const noCross = !(await works(CROSS, ["--version"])) || !(await works(QEMU, ["--version"]));

/** Compiles the harness with `flags` and runs it (through `runner` if given); its output. */
async function buildAndRun(cc: string, flags: string[], runner?: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kernels_check" });
  try {
    const bin = `${dir}/kernels_check`;
    const sources = compiledPaths(await readKernelSources());
    const build = await new Deno.Command(cc, {
      args: [
        "-O2",
        "-ffp-contract=fast",
        "-DSLIM_STANDALONE",
        ...flags,
        `-I${SOURCE_DIR}`,
        "-o",
        bin,
        HARNESS,
        ...sources,
        "-lm",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(build.success, `${cc} failed:\n${new TextDecoder().decode(build.stderr)}`);
    const run = await new Deno.Command(runner ?? bin, {
      args: runner ? [bin] : [],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.ok(run.success, text);
    return text;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** "N passed, 0 failed" with N > 0, from the harness's output. */
function assertAllPassed(text: string): void {
  const counts = text.match(/(\d+) passed, (\d+) failed/);
  assert.ok(counts, text);
  assert.ok(Number(counts[1]) > 0 && counts[2] === "0", text);
}

const nativeTarget = Deno.build.arch === "x86_64" ? "-march=native" : "-mcpu=native";
for (const threading of ["openmp", "pool"] as Threading[]) {
  Deno.test({
    name: `C harness: the kernels equal scalar references natively (${threading})`,
    ignore: noCompiler || (threading === "openmp" && Deno.build.os === "darwin"),
    async fn() {
      const text = await buildAndRun(compiler, [nativeTarget, ...THREADING_FLAGS[threading]]);
      assert.ok(text.includes(threading === "pool" ? "own thread pool" : "OpenMP"), text);
      assertAllPassed(text);
    },
  });
}

Deno.test({
  name: `C harness: the kernels equal scalar references on aarch64 (${CROSS}, ${QEMU}, pool)`,
  ignore: noCross,
  async fn() {
    const text = await buildAndRun(CROSS, ["-static", ...THREADING_FLAGS.pool], QEMU);
    assert.ok(text.includes("own thread pool, 4-float vectors"), text);
    assertAllPassed(text);
  },
});
