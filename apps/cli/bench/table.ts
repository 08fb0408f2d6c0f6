/**
 * What `bench` measures and the table it prints.
 *
 * @module
 */
import type { LaunchCounts } from "@slimming/kernels";
import type { CfgItem } from "@slimming/run-format";

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

/** A table row's model label: "VGG-19 x0.25", with the class count unless it is 10. */
export function modelLabel(title: string, depth: number, width: number, classes: number): string {
  return `${title}-${depth} x${width}${classes === 10 ? "" : `, ${classes} classes`}`;
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
