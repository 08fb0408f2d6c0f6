/**
 * `deno task bench --exported DIR...`: batch-1 latency and batch-256 throughput of exported
 * models (see `deno task export`) in ONNX Runtime (onnxruntime-node, CPU) and in stock
 * TensorFlow.js (loaded by `tf.loadLayersModel`), beside our own forward pass on the checkpoint
 * each was exported from (when that file is still there).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { ONNX_FILE, TFJS_MODEL_FILE } from "@slimming/export";
import { disposeTree, median, UsageError } from "@slimming/tensor-utils";
import { useBackend } from "@slimming/kernels";
import {
  archInfoOfTag,
  architecture,
  architectureOf,
  type ModelSpec,
} from "@slimming/architectures";
import {
  helpText,
  numberOption,
  type OptionSpecs,
  parseOptions,
  requiredString,
} from "../cli_args.ts";
import { loadModel } from "@slimming/train";

const SPECS: OptionSpecs = {
  "tfjs-backend": {
    type: "string",
    value: "NAME",
    help: "stock tfjs backend for the tfjs models (cpu or wasm)",
    default: "wasm",
  },
  "ours-backend": {
    type: "string",
    value: "NAME",
    help: "backend of our own forward pass on the source checkpoint (none: skip)",
    default: "auto",
  },
  rounds: { type: "string", value: "N", help: "timed batch-256 rounds (median)", default: "5" },
  "latency-runs": {
    type: "string",
    value: "N",
    help: "timed batch-1 runs (median)",
    default: "50",
  },
  json: { type: "boolean", help: "print the results as JSON" },
};

/** Help of `bench --exported`. */
export const EXPORTED_BENCH_HELP: string = helpText(
  "bench --exported DIR [DIR...]",
  "Time exported models: batch-1 latency (ms) and batch-256 images/s in ONNX Runtime and stock\n" +
    "tfjs, and our own forward pass on the checkpoint each was exported from.",
  SPECS,
);

/** One timed model in one runtime. */
export interface ExportedTiming {
  readonly dir: string;
  readonly runtime: string;
  readonly cfg: unknown;
  readonly params: number;
  readonly flops: number;
  readonly latencyMs: number;
  readonly imagesPerSecond: number;
}

type Run = (x: Float32Array, n: number) => Promise<void>;

/** Median batch-1 latency (ms) over `runs` and median batch-`batch` images/s over `rounds`. */
export async function timeRunner(
  run: Run,
  options: { runs: number; rounds: number; batch?: number },
): Promise<{ latencyMs: number; imagesPerSecond: number }> {
  const batch = options.batch ?? 256;
  const one = Float32Array.from({ length: 3072 }, (_, i) => Math.sin(i));
  const many = Float32Array.from({ length: 3072 * batch }, (_, i) => Math.sin(i));
  for (let i = 0; i < 3; i++) await run(one, 1);
  const latencies: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const start = performance.now();
    await run(one, 1);
    latencies.push(performance.now() - start);
  }
  await run(many, batch);
  const rates: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const start = performance.now();
    await run(many, batch);
    rates.push(batch / ((performance.now() - start) / 1000));
  }
  return { latencyMs: median(latencies), imagesPerSecond: median(rates) };
}

async function onnxRunner(path: string): Promise<{ run: Run; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(path);
  return {
    // The input is NCHW; a timing does not care that these values are laid out as NHWC.
    run: async (x, n) => {
      await session.run({ input: new ort.Tensor("float32", x, [n, 3, 32, 32]) });
    },
    close: () => session.release(),
  };
}

async function tfjsRunner(path: string): Promise<{ run: Run; close: () => Promise<void> }> {
  const model = await tf.loadLayersModel(tf.io.http(new URL(`file://${path}`).href));
  return {
    run: async (x, n) => {
      const input = tf.tensor4d(x, [n, 32, 32, 3]);
      const out = model.predict(input) as tf.Tensor;
      await out.data();
      tf.dispose([input, out]);
    },
    close: () => Promise.resolve(void model.dispose()),
  };
}

async function oursRunner(checkpoint: string): Promise<{ run: Run; close: () => Promise<void> }> {
  const { params } = await loadModel(checkpoint);
  return {
    run: async (x, n) => {
      const input = tf.tensor4d(x, [n, 32, 32, 3]);
      const { logits } = architectureOf(params).ops.forward(params, input, { training: false });
      await logits.data();
      tf.dispose([input, logits]);
    },
    close: () => Promise.resolve(disposeTree(params)),
  };
}

async function readMetadata(
  dir: string,
): Promise<{ kind: "onnx" | "tfjs"; path: string; meta: Record<string, unknown> }> {
  const real = await Deno.realPath(dir).catch(() => {
    throw new UsageError(`${dir}: no such folder`);
  });
  const json = `${real}/${TFJS_MODEL_FILE}`;
  const onnx = `${real}/${ONNX_FILE}`;
  if (await Deno.stat(json).then(() => true, () => false)) {
    const meta = JSON.parse(await Deno.readTextFile(json)).userDefinedMetadata ?? {};
    return { kind: "tfjs", path: json, meta };
  }
  if (await Deno.stat(onnx).then(() => true, () => false)) {
    const { decodeOnnxModel } = await import("@slimming/export");
    const model = decodeOnnxModel(await Deno.readFile(onnx));
    const meta = Object.fromEntries(
      (model.metadataProps ?? []).map((p) => [p.key, JSON.parse(p.value ?? "null")]),
    );
    return { kind: "onnx", path: onnx, meta };
  }
  throw new UsageError(`${dir} holds no ${TFJS_MODEL_FILE} or ${ONNX_FILE} (see deno task export)`);
}

/** The model an exported folder's metadata describes (untagged: the registry's rule). */
function exportedSpec(meta: Record<string, unknown>, source: string): ModelSpec {
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    arch: archInfoOfTag(typeof meta.arch === "string" ? meta.arch : undefined, source).name,
    cfg: meta.cfg as ModelSpec["cfg"],
    depth: num(meta.depth),
    growthRate: num(meta.growthRate),
    planes: Array.isArray(meta.planes) ? meta.planes as number[] : undefined,
  };
}

/** Runs `bench --exported DIR...`; `args` are what follows `--exported`. */
export async function exportedBench(
  args: readonly string[],
  log: (line: string) => void,
): Promise<ExportedTiming[] | undefined> {
  const firstOption = args.findIndex((a) => a.startsWith("--"));
  const dirs = firstOption < 0 ? [...args] : args.slice(0, firstOption);
  const values = parseOptions(firstOption < 0 ? [] : args.slice(firstOption), SPECS, "bench");
  if (values.help) return void console.log(EXPORTED_BENCH_HELP);
  if (dirs.length === 0) throw new UsageError("bench --exported needs at least one folder");
  const runs = numberOption(values, "latency-runs", { integer: true, min: 1 })!;
  const rounds = numberOption(values, "rounds", { integer: true, min: 1 })!;
  const tfjsBackend = requiredString(values, "tfjs-backend");
  const oursBackend = requiredString(values, "ours-backend");
  if (!["cpu", "wasm"].includes(tfjsBackend)) throw new UsageError("--tfjs-backend: cpu or wasm");
  const results: ExportedTiming[] = [];
  const sources = new Set<string>();
  for (const dir of dirs) {
    const { kind, path, meta } = await readMetadata(dir);
    const spec = exportedSpec(meta, path);
    const arch = architecture(spec.arch);
    const classes = Array.isArray(meta.classes) ? meta.classes.length : 10;
    const base = {
      dir,
      cfg: spec.cfg,
      params: arch.countParams(spec, classes),
      flops: arch.countFlops(spec, classes),
    };
    const timeOne = async (
      runtime: string,
      make: () => Promise<{ run: Run; close: () => Promise<void> }>,
    ) => {
      log(`timing ${dir} in ${runtime}`);
      const runner = await make();
      try {
        results.push({ ...base, runtime, ...(await timeRunner(runner.run, { runs, rounds })) });
      } finally {
        await runner.close();
      }
    };
    if (kind === "onnx") await timeOne("onnxruntime-node cpu", () => onnxRunner(path));
    else {
      await useBackend(tfjsBackend);
      await timeOne(`tfjs ${tfjsBackend}`, () => tfjsRunner(path));
    }
    const source = typeof meta.source === "string" ? meta.source : "";
    if (
      oursBackend !== "none" && source && !sources.has(source) &&
      (await Deno.stat(source).then(() => true, () => false))
    ) {
      sources.add(source);
      const info = await useBackend(oursBackend);
      await timeOne(`ours (${info.name})`, () => oursRunner(source));
    }
  }
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else console.log(exportedTable(results));
  return results;
}

/** The table `bench --exported` prints. */
export function exportedTable(results: readonly ExportedTiming[]): string {
  const rows = results.map((r) => [
    r.dir,
    r.runtime,
    `${(r.params / 1e6).toFixed(3)}M`,
    `${(r.flops / 1e6).toFixed(1)}M`,
    r.latencyMs.toFixed(3),
    r.imagesPerSecond.toFixed(0),
  ]);
  const head = ["model", "runtime", "params", "FLOPs", "batch-1 ms", "batch-256 img/s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
