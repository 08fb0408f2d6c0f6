/**
 * `bench --memory`: the peak resident memory of training, ours on each backend and PyTorch's,
 * each in a fresh process that builds the model and trains it for some steps on random data
 * (what `/usr/bin/time -v` reports as "Maximum resident set size" for such a run).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Architecture, ModelParams } from "@slimming/architectures";
import type { MemoryRequest } from "./memory_child.ts";
import { modelLabel } from "./table.ts";
import { TorchBench, torchModel } from "./torch.ts";

/** One model on one backend. */
export interface MemoryRow {
  readonly model: string;
  readonly backend: string;
  readonly steps: number;
  /** Peak resident bytes of our process (undefined if it failed). */
  readonly peakBytes?: number;
  readonly imagesPerSecond?: number;
  /** Live tensors before and after the steps (equal: no leak). */
  readonly tensors?: readonly [number, number];
  /** Peak resident bytes of the PyTorch process training the same model. */
  readonly torchPeakBytes?: number;
}

/** What `bench --memory` measured. */
export interface MemoryResult {
  readonly threads: number;
  readonly batch: number;
  readonly rows: MemoryRow[];
}

/** Our side: a child Deno process running `memory_child.ts`. */
async function ourPeak(request: MemoryRequest): Promise<Partial<MemoryRow>> {
  const script = fileURLToPath(new URL("./memory_child.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, JSON.stringify(request)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(output.stdout).trim().split("\n").pop() ?? "";
  if (!output.success || !line.startsWith("{")) return {};
  const answer = JSON.parse(line) as {
    peakBytes: number;
    imagesPerSecond: number;
    tensorsBefore: number;
    tensorsAfter: number;
  };
  return {
    peakBytes: answer.peakBytes || undefined,
    imagesPerSecond: answer.imagesPerSecond,
    tensors: [answer.tensorsBefore, answer.tensorsAfter],
  };
}

/** PyTorch's side: a fresh torch_bench.py process, asked for its peak after training. */
async function torchPeak(python: string, request: Record<string, unknown>) {
  const torch = TorchBench.start(python);
  if (!torch) return undefined;
  try {
    await torch.measure(request);
    return await torch.peakBytes();
  } catch {
    return undefined;
  } finally {
    await torch.close().catch(() => {});
  }
}

/** Peak resident memory of training each width on each backend, and PyTorch's. */
export async function memoryBench(
  options: {
    readonly arch: Architecture<ModelParams>;
    readonly depth: number;
    readonly widths: number[];
    readonly backends: string[];
    readonly batch: number;
    readonly threads: number;
    readonly numClasses: number;
    readonly python: string;
    readonly steps: number;
  },
  log: (line: string) => void,
): Promise<MemoryResult> {
  const { arch, depth, batch, threads, numClasses: classes, steps } = options;
  const rows: MemoryRow[] = [];
  for (const width of options.widths) {
    const spec = arch.specFor({ depth, width });
    const model = modelLabel(arch.title, depth, width, classes);
    log(`${model} PyTorch: ${steps} training steps in a fresh process`);
    const torchPeakBytes = await torchPeak(options.python, {
      ...torchModel(arch, spec, depth, classes),
      mode: "train",
      batch,
      steps,
      threads,
    });
    for (const backend of options.backends) {
      log(`${model} ${backend}: ${steps} training steps in a fresh process`);
      const ours = await ourPeak({
        arch: arch.name,
        depth,
        width,
        backend,
        threads,
        batch,
        steps,
        classes,
      });
      rows.push({ model, backend, steps, ...ours, torchPeakBytes });
    }
  }
  return { threads, batch, rows };
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : (bytes / 2 ** 20).toFixed(0);

/** The `bench --memory` table. */
export function memoryTable(result: MemoryResult): string {
  return [
    `peak resident memory of training (batch ${result.batch}, threads ${result.threads}), ` +
    "each side in a fresh process",
    "",
    "| model | backend | steps | peak MiB | PyTorch peak MiB | ratio | img/s | tensors before/after |",
    "|---|---|---:|---:|---:|---:|---:|---|",
    ...result.rows.map((r) =>
      `| ${r.model} | ${r.backend} | ${r.steps + 1} | ${mib(r.peakBytes)} | ${
        mib(r.torchPeakBytes)
      } | ${
        r.peakBytes && r.torchPeakBytes ? (r.peakBytes / r.torchPeakBytes).toFixed(2) + "x" : "n/a"
      } | ${r.imagesPerSecond?.toFixed(1) ?? "n/a"} | ${r.tensors?.join(" / ") ?? "n/a"} |`
    ),
  ].join("\n");
}
