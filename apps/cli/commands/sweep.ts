/**
 * `deno task sweep`: what ratio can I afford? One checkpoint pruned at many ratios with
 * `prune`'s rules, each slim model evaluated (and after re-estimated BN statistics) and timed,
 * into `<out>/sweep.json`.
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import { SWEEP_FILES, type SweepSummary, writeSweepSummary } from "@slimming/run-format";
import {
  booleanOption,
  type Command,
  defineCommand,
  type OptionSpecs,
  requiredNumber,
  requiredString,
} from "../cli_args.ts";
import { DEFAULT_MIN_CHANNELS, JSON_OPTION, printClosing } from "../closing.ts";
import { formatDuration } from "@slimming/train";
import { withFolder } from "../run_folder.ts";
import { parseRatios, sweepModel } from "../sweep.ts";
import { EVALUATION_OPTIONS, loadForEvaluation } from "./evaluation_inputs.ts";
import { TRAINING_OPTIONS } from "./training_options.ts";

const SPECS: OptionSpecs = {
  checkpoint: { type: "string", value: "FILE", help: "trained model (required)" },
  out: { type: "string", value: "DIR", help: "output folder for sweep.json (required)" },
  ratios: {
    type: "string",
    value: "LIST",
    help: "ratios: a list (0.3,0.5,0.9) or start:stop:step, both ends included",
    default: "0.1:0.95:0.05",
  },
  "min-channels": {
    type: "string",
    value: "N",
    help: "fewest channels any layer keeps (as prune)",
    default: String(DEFAULT_MIN_CHANNELS),
  },
  "round-to": {
    type: "string",
    value: "N",
    help: "round each layer's kept channels up to a multiple of N (as prune)",
    default: "1",
  },
  recalibrate: {
    type: "string",
    value: "N",
    help: "re-estimate BN statistics on N training images at each ratio (0: none; the quick " +
      "lab's 2000)",
    default: "2000",
  },
  "recalibrate-augment": {
    type: "string",
    value: "true|false",
    help: "augment the recalibration images as in training (pad-4 crop, flip)",
    default: "true",
  },
  ...EVALUATION_OPTIONS,
  seed: { ...TRAINING_OPTIONS.seed, help: "seed of the --test-subset and recalibration images" },
  json: JSON_OPTION,
};

const pct = (v: number | undefined) => (v === undefined ? "—" : `${v.toFixed(2)}%`);

/** The sweep as a table (one row per ratio). */
export function sweepTable(summary: SweepSummary): string {
  const rows = summary.points.map((p) =>
    `| ${Math.round(p.ratio * 1000) / 10}% | ${p.paramsAfter.toLocaleString("en-US")} | ${
      (p.flopsAfter / 1e6).toFixed(1)
    }M | ${pct(p.slimTestAcc)} | ${pct(p.recalibratedTestAcc)} | ${Math.round(p.imagesPerSecond)} |`
  );
  return [
    `unpruned: ${summary.paramsBefore.toLocaleString("en-US")} params, ${
      (summary.flopsBefore / 1e6).toFixed(1)
    }M FLOPs, ${pct(summary.testAccBefore)}, ${Math.round(summary.imagesPerSecondBefore)} img/s`,
    "| ratio | params | FLOPs | slim | recalibrated | img/s |",
    "|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

/** Runs `sweep` with command-line arguments; resolves with the summary written. */
export const sweepCommand: Command<SweepSummary> = defineCommand(
  "sweep",
  "Prune a checkpoint at many ratios with prune's rules (one global threshold, the guard,\n" +
    "--round-to): accuracy of each slim model, before and after re-estimating its BN statistics,\n" +
    "params, FLOPs, kept channels per layer and measured speed, into <out>/sweep.json.",
  SPECS,
  async (values, log) => {
    const checkpoint = requiredString(values, "checkpoint");
    const out = requiredString(values, "out");
    const ratios = parseRatios(requiredString(values, "ratios"));
    const minChannels = requiredNumber(values, "min-channels", { integer: true, min: 1 });
    const roundTo = requiredNumber(values, "round-to", { integer: true, min: 1 });
    const recalibrate = requiredNumber(values, "recalibrate", { integer: true, min: 0 });
    const recalibrateAugment = booleanOption(values, "recalibrate-augment") ?? true;
    const seed = requiredNumber(values, "seed", { integer: true, min: 0 });
    const json = values.json === true;
    const started = performance.now();
    const onInterrupt = "nothing was written; rerun the same command";
    return await withFolder(out, { command: "sweep", onInterrupt }, log, async () => {
      const { backend, params, data } = await loadForEvaluation(values, checkpoint, seed, log);
      log(`backend: ${backend.name}; data: ${data.source} (${data.test.count} test images)`);
      const summary = await sweepModel(params, {
        ratios,
        minChannels,
        roundTo,
        recalibrate,
        recalibrateAugment,
        seed,
        checkpoint,
        data,
        onPoint: (p, i) => {
          const elapsed = (performance.now() - started) / 1000;
          const eta = (elapsed / (i + 1)) * (ratios.length - i - 1);
          log(
            `ratio ${p.ratio} (${i + 1}/${ratios.length}): slim ${pct(p.slimTestAcc)}, ` +
              `recalibrated ${pct(p.recalibratedTestAcc)}, ${
                p.paramsAfter.toLocaleString("en-US")
              } params, ${Math.round(p.imagesPerSecond)} img/s  ETA ${formatDuration(eta)}`,
          );
        },
      });
      disposeTree(params);
      await writeSweepSummary(out, summary);
      (json ? log : console.log)(sweepTable(summary));
      const seconds = (performance.now() - started) / 1000;
      const file = `${out}/${SWEEP_FILES.summary}`;
      printClosing(
        log,
        [
          `\nsweep done in ${formatDuration(seconds)}: ${ratios.length} ratios`,
          `  summary: ${file}`,
        ],
        { command: "sweep", out, seconds, points: summary.points, files: { summary: file } },
        json,
      );
      return summary;
    });
  },
);
