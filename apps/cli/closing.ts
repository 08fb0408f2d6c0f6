/**
 * What every command says when it ends: a few human lines on stderr (what it did, where it
 * wrote, how long it took) and, with `--json`, one machine-readable object on stdout.
 *
 * @module
 */
import { PRUNE_FILES, RUN_FILES } from "@slimming/run-format";
import { LAB_FILES, planWords, stageStatusText } from "@slimming/run-format";
import type { EpochRecord, LabSummary, PruneSummary } from "@slimming/run-format";
import type { OptionSpec } from "./cli_args.ts";
import { formatDuration } from "@slimming/train";

/**
 * The default of `--min-channels` in `prune` and `lab`. The reference vggprune.py has no
 * guard (it fails when the threshold empties a layer); 1 is the least guard, but a layer of
 * one or two channels is a bottleneck that fine-tuning cannot widen, so both commands keep 3.
 * The global threshold decides everywhere else, as in the reference.
 */
export const DEFAULT_MIN_CHANNELS = 3;

/** The `--json` option every command takes. */
export const JSON_OPTION: OptionSpec = {
  type: "boolean",
  help: "print a machine-readable summary object on stdout when done",
};

/** Prints `lines` with `log` and, when `json`, `object` as one JSON value on stdout. */
export function printClosing(
  log: (line: string) => void,
  lines: readonly string[],
  object: unknown,
  json: boolean,
): void {
  for (const line of lines) log(line);
  if (json) console.log(JSON.stringify(object, null, 2));
}

/** The warning for a checkpoint whose test loss is not a number (NaN or infinite weights). */
export function nanLossWarning(checkpoint: string, loss: number): string {
  return `warning: ${checkpoint} gives a test loss of ${loss}: its weights hold NaN or ` +
    `infinite values (a diverged run?), so its accuracy means nothing`;
}

/** The best epoch of a history (the first of equal accuracies), or undefined when empty. */
export function bestEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  return history.reduce<EpochRecord | undefined>(
    (best, r) => (best === undefined || r.testAcc > best.testAcc ? r : best),
    undefined,
  );
}

/** The `--json` object of train and finetune. */
export interface TrainingClosing {
  readonly command: string;
  readonly out: string;
  readonly complete: boolean;
  readonly epochs: number;
  readonly resumedFromEpoch: number;
  readonly best?: { readonly epoch: number; readonly testAcc: number };
  readonly last?: { readonly epoch: number; readonly testAcc: number; readonly testLoss: number };
  readonly seconds: number;
  readonly files: Record<string, string>;
}

/** The closing summary of a train or finetune run. */
export function trainingClosing(run: {
  command: string;
  out: string;
  epochs: number;
  history: readonly EpochRecord[];
  complete: boolean;
  resumedFromEpoch: number;
  seconds: number;
}): { lines: string[]; object: TrainingClosing } {
  const { out, history } = run;
  const best = bestEpoch(history);
  const last = history.at(-1);
  const files: Record<string, string> = {
    best: `${out}/${RUN_FILES.best}`,
    last: `${out}/${RUN_FILES.last}`,
    history: `${out}/${RUN_FILES.history}`,
    config: `${out}/${RUN_FILES.config}`,
  };
  const object: TrainingClosing = {
    command: run.command,
    out,
    complete: run.complete,
    epochs: history.length,
    resumedFromEpoch: run.resumedFromEpoch,
    ...(best ? { best: { epoch: best.epoch, testAcc: best.testAcc } } : {}),
    ...(last
      ? { last: { epoch: last.epoch, testAcc: last.testAcc, testLoss: last.testLoss } }
      : {}),
    seconds: run.seconds,
    files,
  };
  const lines = [
    `\n${run.command} done in ${
      formatDuration(run.seconds)
    }: ${history.length}/${run.epochs} epochs` +
    (run.resumedFromEpoch > 0 ? ` (resumed after epoch ${run.resumedFromEpoch})` : ""),
  ];
  if (best && last) {
    lines.push(
      `  best test accuracy ${best.testAcc.toFixed(2)}% (epoch ${best.epoch}); ` +
        `last ${last.testAcc.toFixed(2)}% (epoch ${last.epoch})`,
    );
  }
  lines.push(
    `  best model: ${files.best}`,
    `  last model: ${files.last} (with its optimizer state; --resume continues from it)`,
    `  history:    ${files.history}; options: ${files.config}`,
  );
  return { lines, object };
}

/** The pruned share of all BN channels. */
export function prunedShare(summary: Pick<PruneSummary, "kept" | "channelsBefore">): number {
  const before = summary.channelsBefore.reduce((a, b) => a + b, 0);
  const kept = summary.kept.reduce((a, b) => a + b, 0);
  return before === 0 ? 0 : 1 - kept / before;
}

/**
 * The warning when far fewer channels went than `--ratio` asked (the min-channels guard or
 * --round-to kept them), else undefined. "Far": more than one percentage point short.
 */
export function shortPruneWarning(summary: PruneSummary): string | undefined {
  const share = prunedShare(summary);
  if (summary.ratio - share <= 0.01) return undefined;
  const causes = [
    summary.guardedLayers.length > 0
      ? `--min-channels ${summary.minChannels} kept ${summary.guardedLayers.length} layer(s) above the threshold`
      : "",
    summary.roundTo ? `--round-to ${summary.roundTo} rounded kept counts up` : "",
  ].filter((c) => c !== "");
  return `warning: pruned ${(share * 100).toFixed(1)}% of the channels, not the ${
    (summary.ratio * 100).toFixed(1)
  }% --ratio asked${causes.length ? ` (${causes.join("; ")})` : ""}`;
}

/** The closing summary of a prune. */
export function pruneClosing(
  summary: PruneSummary,
  out: string,
  seconds: number,
): { lines: string[]; object: unknown } {
  const files: Record<string, string> = {
    summary: `${out}/${PRUNE_FILES.summary}`,
    model: `${out}/${PRUNE_FILES.model}`,
    ...(summary.recalibratedTestAcc === undefined
      ? {}
      : { recalibrated: `${out}/${PRUNE_FILES.recalibrated}` }),
  };
  const share = prunedShare(summary);
  const keptTotal = summary.kept.reduce((a, b) => a + b, 0);
  const before = summary.channelsBefore.reduce((a, b) => a + b, 0);
  const acc = (v: number | undefined) => (v === undefined ? "not measured" : `${v.toFixed(2)}%`);
  const lines = [
    `\nprune done in ${formatDuration(seconds)}: ratio ${summary.ratio} asked, ${
      (share * 100).toFixed(1)
    }% of the channels pruned; kept ${keptTotal}/${before} channels (${summary.kept.join(",")})`,
    `  test accuracy ${acc(summary.testAccBefore)} before, masked ${
      acc(summary.maskedTestAcc)
    }, slim ${acc(summary.slimTestAcc)}` +
    (summary.recalibratedTestAcc === undefined
      ? ""
      : `, recalibrated ${acc(summary.recalibratedTestAcc)}`),
    ...Object.entries(files).map(([k, v]) => `  ${k}: ${v}`),
  ];
  const object = {
    command: "prune",
    out,
    ratio: summary.ratio,
    prunedShare: share,
    keptChannels: keptTotal,
    channelsBefore: before,
    kept: summary.kept,
    testAccBefore: summary.testAccBefore,
    maskedTestAcc: summary.maskedTestAcc,
    slimTestAcc: summary.slimTestAcc,
    recalibratedTestAcc: summary.recalibratedTestAcc,
    paramsBefore: summary.paramsBefore,
    paramsAfter: summary.paramsAfter,
    seconds,
    files,
  };
  return { lines, object };
}

/** The closing summary of a lab. */
export function labClosing(
  summary: LabSummary,
  out: string,
  report: string,
  seconds: number,
): { lines: string[]; object: unknown } {
  const stages = summary.stages.map((s) => ({
    name: s.name,
    dir: `${out}/${s.dir}`,
    status: s.status,
    ...(s.epochs === undefined ? {} : { epochs: s.epochs, plannedEpochs: s.plannedEpochs }),
    words: stageStatusText(s),
  }));
  const done = stages.filter((s) => s.status === "done").length;
  const lines = [
    `\nlab done in ${formatDuration(seconds)}: ${done}/${stages.length} stages done in ${out}`,
    ...(summary.plan ? [`  plan: ${planWords(summary.plan)}`] : []),
    ...stages.filter((s) => s.status !== "done").map((s) => `  ${s.name}: ${s.words}`),
    `  report: ${report}`,
    `  summary: ${out}/${LAB_FILES.summary}`,
  ];
  const object = {
    command: "lab",
    out,
    seconds,
    stages,
    files: { summary: `${out}/${LAB_FILES.summary}`, report },
  };
  return { lines, object };
}
