/**
 * The native library's two threadings (OpenMP and our own pthread pool): both build here, compute
 * the same bits, stay loaded after Deno closes them, and the kernel tests pass on the pool
 * build. Each test is ignored, with the reason, only where its tool is missing; where the
 * tool exists, a failed build fails the test.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { buildNativeLibrary, type Threading } from "./native_build.ts";
import { loadNativeLib } from "./native_lib.ts";
import { NATIVE_SYMBOLS } from "./native_symbols.ts";
import type { KernelLib } from "./kernel_lib.ts";

async function works(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

const compiler = Deno.env.get("CC") ?? "cc";
const noCompiler = Deno.build.os === "windows" || !(await works(compiler, ["--version"]));
/** Apple clang has no OpenMP: there the build uses the pool alone. */
const noOpenMp = noCompiler || Deno.build.os === "darwin";
/** The repository root (subprocesses resolve the workspace from there). */
const root = fromFileUrl(new URL("../../", import.meta.url));
const hasProcMaps = await Deno.stat("/proc/self/maps").then(() => true, () => false);

async function load(threading: Threading): Promise<KernelLib> {
  const lib = await loadNativeLib({ threading, threads: 3 });
  if ("error" in lib) throw new Error(`${threading} build: ${lib.error}`);
  return lib;
}

/** Deterministic values in [-1, 1). */
function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    return (s >>> 8) / 8388608 - 1;
  });
}

/** Outputs of several kernels on one random batch (Winograd and direct shapes). */
function kernelOutputs(lib: KernelLib): Float32Array[] {
  const out: Float32Array[] = [];
  for (const [n, h, w, cin, cout] of [[2, 8, 8, 16, 32], [3, 5, 7, 3, 10]]) {
    const x = randomArray(n * h * w * cin, 1 + cin);
    const weight = randomArray(9 * cin * cout, 2 + cout);
    const dz = randomArray(n * h * w * cout, 3 + n);
    const gamma = randomArray(cout, 4), beta = randomArray(cout, 5);
    const bn = lib.convBnRelu(x, [n, h, w, cin], weight, cout, gamma, beta, 1e-5);
    out.push(bn.z, bn.y, bn.mean, bn.variance);
    out.push(lib.conv3x3GradInput(dz, [n, h, w, cin], weight, cout));
    out.push(lib.conv3x3GradFilter(x, dz, [n, h, w, cin], cout));
    out.push(lib.conv1x1(x, [n, h, w, cin], weight.subarray(0, cin * cout), cout, 2));
    out.push(lib.maxPool2(dz, [n, h, w, cout]));
    out.push(lib.matMul(randomArray(64 * 40, 8 + h), randomArray(40 * 30, 9 + w), {
      m: 64,
      k: 40,
      n: 30,
      transposeA: false,
      transposeB: false,
    }));
  }
  return out;
}

Deno.test({
  name: "the pool build says so and computes the OpenMP build's bits at the same thread count",
  ignore: noOpenMp,
  async fn() {
    const pool = await load("pool");
    const openmp = await load("openmp");
    assert.ok(pool.description.includes("own thread pool, 3 threads"), pool.description);
    assert.ok(openmp.description.includes("OpenMP, 3 threads"), openmp.description);
    const a = kernelOutputs(pool), b = kernelOutputs(openmp);
    assert.equal(a.length, b.length);
    a.forEach((x, i) => assert.deepEqual(x, b[i], `output ${i}`));
  },
});

Deno.test({
  name: "the pool build loads and names its threading",
  ignore: noCompiler,
  async fn() {
    const pool = await load("pool");
    assert.ok(
      /^native .* kernels, own thread pool, 3 threads$/.test(pool.description),
      pool.description,
    );
    assert.ok(kernelOutputs(pool).every((x) => x.every(Number.isFinite)));
  },
});

Deno.test({
  name: "the native library stays loaded after Deno closes it (it pins itself), both threadings",
  ignore: noCompiler || !hasProcMaps,
  async fn() {
    for (const threading of noOpenMp ? ["pool"] as const : ["openmp", "pool"] as const) {
      const built = await buildNativeLibrary({ threading });
      if ("error" in built) throw new Error(built.error);
      // A copy only this test opens, so nothing else holds it open.
      const dir = await Deno.makeTempDir({ prefix: "slim_pin" });
      const path = `${dir}/slim_kernels-${threading}.so`;
      await Deno.copyFile(built.path, path);
      const lib = Deno.dlopen(path, NATIVE_SYMBOLS);
      assert.equal(lib.symbols.slim_threading(), threading === "pool" ? 1 : 0);
      lib.symbols.slim_set_threads(2);
      const y = new Float32Array(4 * 4 * 4 * 8);
      lib.symbols.slim_maxpool2(randomArray(4 * 8 * 8 * 8, 7), 4, 8, 8, 8, y); // starts threads
      lib.close();
      const maps = await Deno.readTextFile("/proc/self/maps");
      assert.ok(maps.includes(path), `${threading}: ${path} was unloaded`);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "kernel tests pass on the pool build (SLIMMING_THREADS=pool, in a subprocess)",
  ignore: noCompiler,
  async fn() {
    const built = await buildNativeLibrary({ threading: "pool" });
    if ("error" in built) throw new Error(built.error);
    assert.equal(built.threading, "pool");
    // Each file runs in its own isolate of one process, as in the suite; the last one fails
    // unless the native backend there is the pool build.
    const files = [
      "conv_kernels_test.ts",
      "pool_kernels_test.ts",
      "sgd_kernel_test.ts",
      "head_kernels_test.ts",
      "test_c/pool_build_check.ts",
    ].map((name) => fromFileUrl(new URL(name, import.meta.url)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", "--parallel", ...files],
      env: { SLIMMING_THREADS: "pool", NO_COLOR: "1" },
      signal: AbortSignal.timeout(300_000),
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text);
    assert.ok(/the native backend of this run is the pool build \.\.\. ok/.test(text), text);
  },
});

Deno.test({
  name: "SLIMMING_THREADS with another value is refused (in a subprocess)",
  ignore: noCompiler,
  async fn() {
    const url = new URL("./native_build.ts", import.meta.url).href;
    const code = `const { buildNativeLibrary } = await import(${JSON.stringify(url)});
      console.log(JSON.stringify(await buildNativeLibrary()));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: root,
      env: { SLIMMING_THREADS: "gcd" },
      stdout: "piped",
    }).output();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      error: 'SLIMMING_THREADS=gcd: expected "openmp" or "pool"',
    });
  },
});

Deno.test({
  name:
    "the build falls back to the pool and -mcpu=native where the compiler refuses OpenMP and -march=native",
  ignore: noCompiler,
  async fn() {
    // A compiler like Apple clang on arm64: no -fopenmp, no -march=native (-mcpu=native runs as
    // -march=native on the real compiler underneath, which may be an x86 gcc).
    const dir = await Deno.makeTempDir({ prefix: "slim_fallback" });
    try {
      const fake = `${dir}/cc`;
      await Deno.writeTextFile(
        fake,
        `#!/bin/sh
for a in "$@"; do
  case "$a" in -fopenmp | -march=native) echo "unsupported option '$a'" >&2; exit 1 ;; esac
done
for a in "$@"; do
  [ "$a" = "-mcpu=native" ] && a="-march=native"
  set -- "$@" "$a"; shift
done
exec ${JSON.stringify(compiler)} "$@"
`,
      );
      await Deno.chmod(fake, 0o755);
      const forced = await buildNativeLibrary({
        compiler: fake,
        buildDir: dir,
        threading: "openmp",
      });
      assert.ok("error" in forced && /refused .*-fopenmp.*unsupported/.test(forced.error));
      const built = await buildNativeLibrary({ compiler: fake, buildDir: dir });
      if ("error" in built) throw new Error(built.error);
      assert.equal(built.threading, "pool");
      assert.ok(built.flags.includes("-mcpu=native"), built.flags.join(" "));
      assert.ok(/slim_kernels-pool-[0-9a-f]{16}\.(so|dylib)$/.test(built.path), built.path);
      const lib = Deno.dlopen(built.path, { slim_threading: NATIVE_SYMBOLS.slim_threading });
      assert.equal(lib.symbols.slim_threading(), 1);
      lib.close();
      // Found again without building.
      assert.deepEqual(await buildNativeLibrary({ compiler: fake, buildDir: dir }), built);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
