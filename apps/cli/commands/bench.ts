/**
 * `deno task bench`: training and inference images/s of VGG-19 (scaled by width) on each
 * backend that can train, against PyTorch on the same model and machine in the same run
 * (rounds alternate between the two; medians reported), the share of a step spent on data,
 * and the inference speed-up of a 90%-pruned model.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { augmentRng, makeBatch, syntheticCifar } from "@slimming/cifar";
import { absGammasAsync, pruneFromAbsGammas } from "@slimming/slimming";
import {
  countLaunches,
  disposeTree,
  type LaunchCounts,
  probeWebgpu,
  UsageError,
  useBackend,
} from "@slimming/tensor-utils";
import { cfgForDepth, type CfgItem, initVgg, scaleCfg, type VggParams } from "@slimming/vgg";
import { fileURLToPath } from "node:url";
import {
  helpText,
  numberOption,
  type OptionSpecs,
  parseCommand,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { inferenceSpeed } from "../evaluate.ts";
import { disposeState, type TrainState, trainStep } from "../train_step.ts";

const SPECS: OptionSpecs = {
  widths: {
    type: "string",
    value: "LIST",
    help: "VGG-19 width multipliers",
    default: "0.125,0.25",
  },
  backends: {
    type: "string",
    value: "LIST",
    help: "backends to time (default: those that train here)",
  },
  "batch-size": { type: "string", value: "N", help: "training batch size", default: "64" },
  "infer-batch": { type: "string", value: "N", help: "inference batch size", default: "256" },
  rounds: {
    type: "string",
    value: "N",
    help: "timed rounds per measurement (median reported)",
    default: "5",
  },
  seconds: { type: "string", value: "S", help: "target seconds per round", default: "1" },
  python: {
    type: "string",
    value: "PATH",
    help: "Python with torch for the comparison",
    default: "/usr/bin/python3",
  },
  threads: { type: "string", value: "N", help: "threads for both sides (default: all cores)" },
  profile: { type: "boolean", help: "also print the per-kernel times of one training step" },
  json: { type: "boolean", help: "print the results as JSON" },
};

/** Help of `bench`. */
export const BENCH_HELP: string = helpText(
  "bench",
  "Time training and inference of VGG-19 on each backend against PyTorch on the same machine.",
  SPECS,
);

/** One row of the table. */
export interface BenchRow {
  readonly model: string;
  readonly backend: string;
  readonly trainImagesPerSecond: number;
  readonly inferImagesPerSecond: number;
  readonly torchTrainImagesPerSecond?: number;
  readonly torchInferImagesPerSecond?: number;
  /** GPU backends: dispatches, submits and buffer creations of one training step. */
  readonly launchesPerStep?: LaunchCounts;
}

/** Everything `bench` measured. */
export interface BenchResult {
  readonly machine: string;
  readonly threads: number;
  readonly torch?: string;
  readonly rows: BenchRow[];
  /** Share of a training step spent building the batch (augmentation, normalisation, upload). */
  readonly dataShare: {
    readonly batchMs: number;
    readonly stepMs: number;
    readonly percent: number;
  };
  readonly slim?: {
    readonly cfg: CfgItem[];
    readonly fullInfer: number;
    readonly slimInfer: number;
    readonly torchFullInfer?: number;
    readonly torchSlimInfer?: number;
  };
  readonly profile?: Array<
    { readonly kernel: string; readonly ms: number; readonly calls: number }
  >;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A PyTorch process answering timing requests (see bench/torch_bench.py), or undefined. */
class TorchBench {
  #process: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  version = "";
  private constructor(process: Deno.ChildProcess) {
    this.#process = process;
    this.#writer = process.stdin.getWriter();
    this.#lines = process.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())
      [Symbol.asyncIterator]();
  }
  static start(python: string): TorchBench | undefined {
    const script = fileURLToPath(new URL("../bench/torch_bench.py", import.meta.url));
    let process: Deno.ChildProcess;
    try {
      process = new Deno.Command(python, {
        args: [script],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    } catch {
      return undefined;
    }
    return new TorchBench(process);
  }
  async measure(request: Record<string, unknown>): Promise<number | undefined> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const next = await this.#lines.next();
    if (next.done) return undefined;
    const answer = JSON.parse(next.value) as { imagesPerSecond: number; torch: string };
    this.version = answer.torch;
    return answer.imagesPerSecond;
  }
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#process.status;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p.trim()) controller.enqueue(p);
    },
    flush(controller) {
      if (rest.trim()) controller.enqueue(rest);
    },
  });
}

/** Steps that take about `seconds`, from one timed warm-up step. */
function stepsFor(seconds: number, stepSeconds: number): number {
  return Math.max(2, Math.min(200, Math.round(seconds / Math.max(stepSeconds, 1e-4))));
}

async function timeTraining(params: VggParams, batch: number, steps: number): Promise<number> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const y = tf.randomUniform([batch], 0, 10, "int32", 4) as tf.Tensor1D;
  const step = async () => {
    const r = trainStep(state, x, y, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 });
    if (state.params !== params) disposeState(state);
    else for (const b of state.buffers ?? []) b.dispose();
    state = r.state;
    await r.loss.data();
    tf.dispose([r.loss, r.correct]);
  };
  await step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const rate = (batch * steps) / ((performance.now() - start) / 1000);
  disposeState(state);
  tf.dispose([x, y]);
  return rate;
}

/** What one training step (after a warm-up step) asks of the GPU, loss read included. */
async function launchesPerStep(params: VggParams, batch: number): Promise<LaunchCounts> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const y = tf.randomUniform([batch], 0, 10, "int32", 4) as tf.Tensor1D;
  const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 };
  const warm = trainStep(state, x, y, hyper);
  await warm.loss.data();
  tf.dispose([warm.loss, warm.correct]);
  for (const b of warm.state.buffers ?? []) b.dispose();
  state = { params, buffers: null };
  const counts = await countLaunches(async () => {
    const r = trainStep(state, x, y, hyper);
    await r.loss.data();
    tf.dispose([r.loss, r.correct]);
    state = r.state;
  });
  disposeState(state);
  disposeState({ ...warm.state, buffers: null });
  tf.dispose([x, y]);
  return counts;
}

async function trainStepSeconds(params: VggParams, batch: number): Promise<number> {
  const start = performance.now();
  const rate = await timeTraining(params, batch, 1);
  return Math.max(batch / rate, (performance.now() - start) / 2000);
}

function dataShare(stepMs: number, batch: number): BenchResult["dataShare"] {
  const data = syntheticCifar({ trainPerClass: 50, testPerClass: 1, seed: 1 });
  const indices = Int32Array.from({ length: batch }, (_, i) => i % data.train.count);
  const runs = 50;
  const start = performance.now();
  for (let b = 0; b < runs; b++) {
    const { x, y } = makeBatch(data.train, indices, { augment: true, rng: augmentRng(1, 0, b) });
    tf.dispose([tf.tensor4d(x, [batch, 32, 32, 3]), tf.tensor1d(y, "int32")]);
  }
  const batchMs = (performance.now() - start) / runs;
  return { batchMs, stepMs, percent: (100 * batchMs) / (batchMs + stepMs) };
}

/** Random gammas with a few large ones per layer, like a sparsity-trained model. */
function sparseLooking(params: VggParams, seed: number): VggParams {
  return {
    ...params,
    features: params.features.map((layer, i) => ({
      conv: layer.conv,
      bn: {
        ...layer.bn,
        gamma: tf.tidy(() => {
          const u = tf.randomUniform(layer.bn.gamma.shape, 0, 1, "float32", seed + i);
          return tf.where(tf.less(u, 0.15), tf.add(u, 0.5), tf.mul(u, 1e-3));
        }) as tf.Tensor1D,
      },
    })),
  };
}

/** Runs `bench` with command-line arguments. */
export async function benchCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<BenchResult | undefined> {
  const values = parseCommand(args, SPECS, "bench", BENCH_HELP);
  if (!values) return undefined;
  const widths = requiredString(values, "widths").split(",").map(Number);
  if (widths.some((w) => !(w > 0 && w <= 4))) {
    throw new UsageError("--widths must be numbers in (0, 4]");
  }
  const batch = numberOption(values, "batch-size", { integer: true, min: 1 })!;
  const inferBatch = numberOption(values, "infer-batch", { integer: true, min: 1 })!;
  const rounds = numberOption(values, "rounds", { integer: true, min: 1 })!;
  const seconds = numberOption(values, "seconds", { min: 0, minExclusive: true })!;
  const threads = numberOption(values, "threads", { integer: true, min: 1 }) ??
    navigator.hardwareConcurrency;
  const wanted = stringOption(values, "backends")?.split(",");
  const backends: string[] = [];
  for (const name of wanted ?? ["native", "wasm-simd", "webgpu"]) {
    try {
      await useBackend(name, { threads, log });
      const probe = name === "webgpu" ? await probeWebgpu() : undefined;
      if (typeof probe === "object" && probe.software && !wanted) {
        log(
          "webgpu: a software adapter only (llvmpipe): skipped (ask for it with --backends webgpu)",
        );
        continue;
      }
      backends.push(name);
    } catch (error) {
      log(`${name}: not timed (${error instanceof Error ? error.message.split("\n")[0] : error})`);
    }
  }
  if (backends.length === 0) throw new UsageError("no backend to time");
  const torch = TorchBench.start(requiredString(values, "python"));
  // Both sides park their worker threads after spinning a while; let them settle between
  // turns so neither measures the other's spinning threads.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  const torchRate = async (request: Record<string, unknown>) => {
    try {
      await settle();
      return await torch?.measure({ ...request, threads });
    } catch {
      return undefined;
    }
  };
  const rows: BenchRow[] = [];
  let stepMsForShare = 0;
  let profile: BenchResult["profile"];
  for (const width of widths) {
    const cfg = scaleCfg(cfgForDepth(19), width);
    for (const backend of backends) {
      await useBackend(backend, { threads, log });
      const params = initVgg({ cfg, seed: 1 });
      const stepSeconds = await trainStepSeconds(params, batch);
      const steps = stepsFor(seconds, stepSeconds);
      const train: number[] = [],
        infer: number[] = [],
        torchTrain: number[] = [],
        torchInfer: number[] = [];
      for (let r = 0; r < rounds; r++) {
        log(`width ${width} ${backend}: round ${r + 1}/${rounds}`);
        await settle();
        train.push(await timeTraining(params, batch, steps));
        const tt = await torchRate({ mode: "train", cfg, batch, steps });
        if (tt !== undefined) torchTrain.push(tt);
        await settle();
        infer.push(await inferenceSpeed(params, inferBatch, 3));
        const ti = await torchRate({ mode: "infer", cfg, batch: inferBatch, steps: 3 });
        if (ti !== undefined) torchInfer.push(ti);
      }
      if (width === widths[widths.length - 1] && backend === backends[0]) {
        stepMsForShare = (1000 * batch) / median(train);
        if (values.profile) profile = await profileStep(params, batch);
      }
      const launches = backend === "webgpu" ? await launchesPerStep(params, batch) : undefined;
      disposeTree(params);
      rows.push({
        model: `VGG-19 x${width}`,
        backend,
        trainImagesPerSecond: median(train),
        inferImagesPerSecond: median(infer),
        torchTrainImagesPerSecond: torchTrain.length ? median(torchTrain) : undefined,
        torchInferImagesPerSecond: torchInfer.length ? median(torchInfer) : undefined,
        launchesPerStep: launches,
      });
    }
  }
  await useBackend(backends[0], { threads, log });
  const width = widths[widths.length - 1];
  const full = sparseLooking(initVgg({ cfg: scaleCfg(cfgForDepth(19), width), seed: 2 }), 7);
  const pruned = pruneFromAbsGammas(full, await absGammasAsync(full), 0.9, { minChannels: 3 });
  const fullInfer: number[] = [],
    slimInfer: number[] = [],
    torchFull: number[] = [],
    torchSlim: number[] = [];
  for (let r = 0; r < rounds; r++) {
    fullInfer.push(await inferenceSpeed(full, inferBatch, 3));
    slimInfer.push(await inferenceSpeed(pruned.params, inferBatch, 3));
    const tf1 = await torchRate({ mode: "infer", cfg: full.cfg, batch: inferBatch, steps: 3 });
    const tf2 = await torchRate({ mode: "infer", cfg: pruned.cfg, batch: inferBatch, steps: 3 });
    if (tf1 !== undefined) torchFull.push(tf1);
    if (tf2 !== undefined) torchSlim.push(tf2);
  }
  const slim = {
    cfg: pruned.cfg,
    fullInfer: median(fullInfer),
    slimInfer: median(slimInfer),
    torchFullInfer: torchFull.length ? median(torchFull) : undefined,
    torchSlimInfer: torchSlim.length ? median(torchSlim) : undefined,
  };
  disposeTree(full);
  disposeTree(pruned.params);
  const result: BenchResult = {
    machine: `${await cpuName()}, ${navigator.hardwareConcurrency} cores`,
    threads,
    torch: torch?.version || undefined,
    rows,
    dataShare: dataShare(stepMsForShare, batch),
    slim,
    profile,
  };
  await torch?.close();
  console.log(values.json ? JSON.stringify(result, null, 2) : benchTable(result));
  return result;
}

async function cpuName(): Promise<string> {
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? Deno.build.arch;
  } catch {
    return Deno.build.arch;
  }
}

async function profileStep(params: VggParams, batch: number): Promise<BenchResult["profile"]> {
  let state: TrainState = { params, buffers: null };
  const x = tf.randomNormal([batch, 32, 32, 3]) as tf.Tensor4D;
  const y = tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D;
  const step = () => {
    const r = trainStep(state, x, y, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, lambda: 1e-4 });
    if (state.params !== params) disposeState(state);
    state = r.state;
    tf.dispose([r.loss, r.correct]);
  };
  step();
  step();
  const info = await tf.profile(step);
  disposeState(state);
  tf.dispose([x, y]);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  return [...byKernel].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined ? "n/a" : n.toFixed(digits);
}

/** The bench's text table. */
export function benchTable(result: BenchResult): string {
  const lines = [
    `machine: ${result.machine}; threads ${result.threads}; PyTorch ${
      result.torch ?? "not available"
    }`,
    "",
    "| model | backend | train img/s | PyTorch train | ratio | infer img/s | PyTorch infer | ratio |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...result.rows.map((r) =>
      `| ${r.model} | ${r.backend} | ${fmt(r.trainImagesPerSecond)} | ${
        fmt(r.torchTrainImagesPerSecond)
      } | ${
        r.torchTrainImagesPerSecond
          ? (r.trainImagesPerSecond / r.torchTrainImagesPerSecond).toFixed(2) + "x"
          : "n/a"
      } | ${fmt(r.inferImagesPerSecond)} | ${fmt(r.torchInferImagesPerSecond)} | ${
        r.torchInferImagesPerSecond
          ? (r.inferImagesPerSecond / r.torchInferImagesPerSecond).toFixed(2) + "x"
          : "n/a"
      } |`
    ),
    "",
    `data pipeline: ${
      result.dataShare.batchMs.toFixed(2)
    } ms to build a batch (crop, flip, normalise, upload) ` +
    `vs ${result.dataShare.stepMs.toFixed(1)} ms per step: ${
      result.dataShare.percent.toFixed(1)
    }% of a step`,
  ];
  for (const r of result.rows) {
    const l = r.launchesPerStep;
    if (!l) continue;
    lines.push(
      `${r.backend} ${r.model}: one training step = ${l.dispatches} dispatches, ${l.submits} ` +
        `submits, ${l.buffersCreated} buffer creations`,
    );
  }
  if (result.slim) {
    const s = result.slim;
    lines.push(
      `pruned 90% (cfg ${JSON.stringify(s.cfg)}): inference ${fmt(s.fullInfer)} -> ${
        fmt(s.slimInfer)
      } img/s ` +
        `(x${(s.slimInfer / s.fullInfer).toFixed(2)}); PyTorch ${fmt(s.torchFullInfer)} -> ${
          fmt(s.torchSlimInfer)
        }`,
    );
  }
  if (result.profile) {
    lines.push("", "per-kernel time of one training step (first backend, last width):");
    for (const k of result.profile.slice(0, 15)) {
      lines.push(
        `  ${k.kernel.padEnd(26)} ${k.ms.toFixed(2).padStart(7)} ms  ${
          String(k.calls).padStart(4)
        } calls`,
      );
    }
  }
  return lines.join("\n");
}
