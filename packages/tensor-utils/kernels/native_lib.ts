/**
 * The kernels as a native shared library, compiled on first use from `src/slim_kernels.c`
 * with the machine's C compiler (`-O3 -march=native -fopenmp`) into `build/kernels/`, and
 * called through Deno FFI directly on the tensors' arrays (no copies).
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { sha256Hex } from "../files.ts";
import type { KernelLib, Nhwc, SgdHyper } from "./kernel_lib.ts";

const sourceUrl = new URL("./src/slim_kernels.c", import.meta.url);
const defaultBuildDir = fromFileUrl(new URL("../../../build/kernels/", import.meta.url));

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

const symbols = {
  slim_conv_bn_relu: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_conv_affine_relu: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_conv3x3: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_conv3x3_grad_input: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_conv3x3_grad_filter: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_bn_relu_grad: {
    parameters: [
      "buffer",
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_maxpool2: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "void" },
  slim_maxpool2_grad: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_sgd: {
    parameters: ["buffer", "buffer", "buffer", "i32", "f32", "f32", "f32", "f32", "i32"],
    result: "void",
  },
  slim_set_threads: { parameters: ["i32"], result: "i32" },
  slim_vector_width: { parameters: [], result: "i32" },
} as const;

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
  const source = await Deno.readTextFile(sourceUrl);
  const key = await sha256Hex(
    [source, NATIVE_FLAGS.join(" "), version, await cpuSignature()].join("\n"),
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
    args: [...NATIVE_FLAGS, "-o", temp, fromFileUrl(sourceUrl)],
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

/** Loads the native kernels (building them first if needed), or explains why not. */
export async function loadNativeLib(
  options: { threads?: number; log?: (line: string) => void } = {},
): Promise<KernelLib | { error: string }> {
  const built = await buildNativeLibrary({ log: options.log });
  if ("error" in built) return built;
  let dylib: Deno.DynamicLibrary<typeof symbols>;
  try {
    dylib = Deno.dlopen(built.path, symbols);
  } catch (error) {
    return {
      error: `cannot load ${built.path}: ${error instanceof Error ? error.message : error}`,
    };
  }
  const s = dylib.symbols;
  const threads = s.slim_set_threads(options.threads ?? navigator.hardwareConcurrency ?? 1);
  const width = s.slim_vector_width();
  const isa = width === 16 ? "AVX-512" : width === 8 ? "AVX2" : "SSE/NEON";
  const lib: KernelLib = {
    alloc: (length) => new Float32Array(length),
    name: "native",
    description: `native ${isa} kernels, ${threads} thread${threads === 1 ? "" : "s"}`,
    convBnRelu(x, [n, h, w, cin], weight, cout, gamma, beta, eps) {
      const z = lib.alloc(n * h * w * cout);
      const y = lib.alloc(z.length);
      const mean = lib.alloc(cout);
      const variance = lib.alloc(cout);
      s.slim_conv_bn_relu(x, n, h, w, cin, weight, cout, gamma, beta, eps, z, y, mean, variance);
      return { z, y, mean, variance };
    },
    convAffineRelu(x, [n, h, w, cin], weight, cout, scale, shift) {
      const y = lib.alloc(n * h * w * cout);
      s.slim_conv_affine_relu(x, n, h, w, cin, weight, cout, scale, shift, y);
      return y;
    },
    conv3x3(x, [n, h, w, cin], weight, cout) {
      const y = lib.alloc(n * h * w * cout);
      s.slim_conv3x3(x, n, h, w, cin, weight, cout, y);
      return y;
    },
    conv3x3GradInput(dz, [n, h, w, cin], weight, cout) {
      const dx = lib.alloc(n * h * w * cin);
      s.slim_conv3x3_grad_input(dz, n, h, w, cin, weight, cout, dx);
      return dx;
    },
    conv3x3GradFilter(x, dz, [n, h, w, cin], cout) {
      const dw = lib.alloc(9 * cin * cout);
      s.slim_conv3x3_grad_filter(x, dz, n, h, w, cin, cout, dw);
      return dw;
    },
    bnReluGrad(dy, z, c, gamma, beta, mean, variance, eps) {
      const dz = lib.alloc(z.length);
      const dgamma = lib.alloc(c);
      const dbeta = lib.alloc(c);
      s.slim_bn_relu_grad(
        dy,
        z,
        z.length / c,
        c,
        gamma,
        beta,
        mean,
        variance,
        eps,
        dz,
        dgamma,
        dbeta,
      );
      return { dz, dgamma, dbeta };
    },
    maxPool2(x, [n, h, w, c]: Nhwc) {
      const y = lib.alloc(n * (h >> 1) * (w >> 1) * c);
      s.slim_maxpool2(x, n, h, w, c, y);
      return y;
    },
    maxPool2Grad(x, dy, [n, h, w, c]: Nhwc) {
      const dx = lib.alloc(n * h * w * c);
      s.slim_maxpool2_grad(x, dy, n, h, w, c, dx);
      return dx;
    },
    sgd(param, grad, buffer, hyper: SgdHyper) {
      const p = lib.alloc(param.length);
      p.set(param);
      const b = lib.alloc(param.length);
      if (buffer) b.set(buffer);
      s.slim_sgd(
        p,
        grad,
        b,
        p.length,
        hyper.lr,
        hyper.momentum,
        hyper.weightDecay,
        hyper.l1,
        buffer ? 0 : 1,
      );
      return { param: p, buffer: b };
    },
    dispose() {
      // Never dlclose: OpenMP's worker threads live in the library until the process exits.
    },
  };
  return lib;
}
