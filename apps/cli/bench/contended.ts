/**
 * `bench --contended`: training images/s alone and with a competing busy process beside it
 * (one process spinning on a core, as a laptop's other work would), and the share of the idle
 * throughput that survives. Rounds alternate idle and contended so drifting load hits both.
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import { useBackend } from "@slimming/kernels";
import { architecture, DEFAULT_ARCH } from "@slimming/architectures";
import { median, stepsFor, timeTraining, trainStepSeconds } from "./timing.ts";

/** One width on one backend, alone and contended. */
export interface ContendedRow {
  readonly model: string;
  readonly backend: string;
  readonly idleTrainImagesPerSecond: number;
  readonly contendedTrainImagesPerSecond: number;
  /** contended / idle. */
  readonly keptShare: number;
}

/** What `bench --contended` measured. */
export interface ContendedResult {
  readonly threads: number;
  readonly busyProcesses: number;
  readonly rows: ContendedRow[];
}

/** A process that keeps one core busy until `stop()`. */
export function startBusyProcess(): { stop(): Promise<void> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "for (;;) {}"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Times training of each width on each backend, alternating idle and contended rounds. */
export async function contendedBench(
  options: {
    widths: number[];
    backends: string[];
    batch: number;
    rounds: number;
    seconds: number;
    threads: number;
    numClasses: number;
  },
  log: (line: string) => void,
): Promise<ContendedResult> {
  const rows: ContendedRow[] = [];
  for (const width of options.widths) {
    for (const backend of options.backends) {
      await useBackend(backend, { threads: options.threads, log });
      // The default architecture at its default depth (VGG-19), at this width.
      const arch = architecture(DEFAULT_ARCH);
      const params = arch.init(arch.specFor({ width }), {
        seed: 1,
        numClasses: options.numClasses,
      });
      const steps = stepsFor(options.seconds, await trainStepSeconds(params, options.batch));
      const idle: number[] = [], contended: number[] = [];
      for (let r = 0; r < options.rounds; r++) {
        log(`width ${width} ${backend}: round ${r + 1}/${options.rounds} (idle, then contended)`);
        await pause(300);
        idle.push(await timeTraining(params, options.batch, steps));
        const busy = startBusyProcess();
        try {
          await pause(300); // the busy process is up and spinning
          contended.push(await timeTraining(params, options.batch, steps));
        } finally {
          await busy.stop();
        }
      }
      disposeTree(params);
      const idleRate = median(idle), contendedRate = median(contended);
      rows.push({
        model: `VGG-19 x${width}`,
        backend,
        idleTrainImagesPerSecond: idleRate,
        contendedTrainImagesPerSecond: contendedRate,
        keptShare: contendedRate / idleRate,
      });
    }
  }
  return { threads: options.threads, busyProcesses: 1, rows };
}

/** The table `bench --contended` prints. */
export function contendedTable(result: ContendedResult): string {
  const lines = [
    `training img/s alone and with ${result.busyProcesses} busy process beside it ` +
    `(${result.threads} threads, ${navigator.hardwareConcurrency} cores)`,
    "",
    "| model | backend | idle img/s | contended img/s | kept |",
    "|---|---|---:|---:|---:|",
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.model} | ${r.backend} | ${r.idleTrainImagesPerSecond.toFixed(0)} | ${
        r.contendedTrainImagesPerSecond.toFixed(0)
      } | ${(100 * r.keptShare).toFixed(0)}% |`,
    );
  }
  return lines.join("\n");
}
