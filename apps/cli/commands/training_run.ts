/**
 * The frame of `train` and `finetune`: the run folder checked, created and locked before the
 * backend starts or the data loads, the folder's kind checked, and the closing summary.
 *
 * @module
 */
import { printClosing, trainingClosing } from "../closing.ts";
import { withFolder } from "../run_folder.ts";
import { checkRunFolder } from "../run_kind.ts";
import type { TrainingResult } from "@slimming/train";

/**
 * Runs `body` (which starts the backend, loads the data and trains into `out`) holding the
 * run folder; prints the closing summary (and the `--json` object when `json`).
 */
export function trainingCommand(
  run: {
    command: "train" | "finetune";
    out: string;
    epochs: number;
    resume: boolean;
    json: boolean;
  },
  log: (line: string) => void,
  body: () => Promise<TrainingResult>,
): Promise<TrainingResult> {
  const started = performance.now();
  const onInterrupt =
    `every committed epoch is kept in ${run.out}; rerun the same command with --resume to continue`;
  return withFolder(run.out, { command: run.command, onInterrupt }, log, async (folder) => {
    const notice = checkRunFolder(run.out, run.command, run.resume, folder.existed);
    if (notice) log(notice);
    const result = await body();
    const { lines, object } = trainingClosing({
      command: run.command,
      out: run.out,
      epochs: run.epochs,
      history: result.history,
      complete: result.complete,
      resumedFromEpoch: result.resumedFromEpoch,
      seconds: (performance.now() - started) / 1000,
    });
    printClosing(log, lines, object, run.json);
    return result;
  });
}
