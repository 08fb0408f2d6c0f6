/**
 * What a training command may do with the folder it was given: never train into the folder of
 * another kind of run (a prune, a lab, an exported model), and say so when `--resume` finds
 * nothing to continue.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils/core";
import { LAB_FILES, PRUNE_FILES, RUN_FILES } from "@slimming/run-format";

/** Files that mark a folder as another kind of run than train/finetune, and what kind. */
const FOREIGN_FILES: ReadonlyArray<readonly [string, string]> = [
  [LAB_FILES.summary, "a lab folder"],
  [PRUNE_FILES.summary, "a prune output"],
  [PRUNE_FILES.model, "a prune output"],
  ["model.json", "an exported model"],
  ["model.onnx", "an exported model"],
];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The kind of run another command left in `dir`, with the file that shows it, if any. */
export function foreignRun(dir: string): { kind: string; file: string } | undefined {
  for (const [file, kind] of FOREIGN_FILES) {
    if (isFile(`${dir}/${file}`)) return { kind, file };
  }
  return undefined;
}

/**
 * Checks the run folder `dir` of `command` (train or finetune) before any work: a folder of
 * another kind of run is a UsageError, and so is a committed run without `resume`; `--resume`
 * with no committed epoch returns the notice to print (the run then starts fresh), else
 * undefined.
 */
export function checkRunFolder(
  dir: string,
  command: string,
  resume: boolean,
  existed: boolean,
): string | undefined {
  const foreign = foreignRun(dir);
  if (foreign) {
    throw new UsageError(
      `${dir} is ${foreign.kind} (it holds ${foreign.file}), not a ${command} run: ` +
        `choose another --out`,
    );
  }
  const committed = isFile(`${dir}/${RUN_FILES.last}`);
  if (committed && !resume) {
    throw new UsageError(
      `${dir} already holds a run: pass --resume to continue it, or choose another --out`,
    );
  }
  if (!resume || committed) return undefined;
  return existed
    ? `note: --resume: ${dir} holds no committed epoch, nothing to resume; starting a fresh run`
    : `note: --resume: ${dir} did not exist, nothing to resume; starting a fresh run there`;
}
