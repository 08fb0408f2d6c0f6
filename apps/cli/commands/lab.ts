/**
 * `deno task lab`: the whole Network Slimming lab in one command. Sparsity training for
 * three lambdas, pruning the model of one lambda at 50% and 90%, fine-tuning both, and the
 * PDF report. Each stage has its own folder and is skipped when complete, so a killed lab
 * continues where it stopped; `lab.json` records options, stage times and what was met.
 * The plan is `@slimming/run-format`'s `labPlan`; the stages run in `../lab/`.
 *
 * @module
 */
import type { LabSummary } from "@slimming/run-format";
import { type Command, defineCommand } from "../cli_args.ts";
import { LAB_SPECS, LAB_SUMMARY, labOptions } from "../lab/options.ts";
import { runLab } from "../lab/run_lab.ts";

export { type LabOptions, labOptions } from "../lab/options.ts";
export { LAB_PROFILES, type LabProfile } from "../lab/profiles.ts";
export { runLab } from "../lab/run_lab.ts";

/** Runs the lab with command-line arguments. */
export const labCommand: Command<LabSummary> = defineCommand(
  "lab",
  LAB_SUMMARY,
  LAB_SPECS,
  (values, log) => runLab(labOptions(values), log),
);
