/**
 * Runs (or continues) a lab: starts the backend and loads the data once, runs each stage of
 * the plan within its share of the time budget, writes lab.json after every stage, and
 * renders the report.
 *
 * @module
 */
import {
  labPlan,
  type LabStage,
  type LabSummary,
  type PlannedStage,
  readLabSummary,
  stageBudget,
  writeLabSummary,
} from "@slimming/run-format";
import { architecture } from "../architecture.ts";
import { prepareRun } from "../commands/training_options.ts";
import { UsageError } from "@slimming/tensor-utils/core";
import { LAB_FILES, RUN_FILES } from "@slimming/run-format";
import { labClosing, printClosing } from "../closing.ts";
import { createProgressPrinter } from "../progress.ts";
import { holdFolder } from "../run_folder.ts";
import { foreignRun } from "../run_kind.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import type { LabOptions } from "./options.ts";
import { runPruneStage } from "./prune_stage.ts";
import { renderLabReport } from "./report_step.ts";
import { labSummary, stageRecord } from "./summary.ts";
import { runTrainingStage } from "./training_stage.ts";

async function labContext(options: LabOptions, log: (line: string) => void): Promise<LabContext> {
  const spec = architecture(options.arch ?? "vgg").specFor({
    depth: options.depth,
    width: options.width,
    ...(options.growthRate === undefined ? {} : { growthRate: options.growthRate }),
  });
  const { backend, data } = await prepareRun(options, log);
  const progress = createProgressPrinter({ quiet: options.quiet });
  return { options, spec, backend, data, progress, log, events: [] };
}

function runStage(
  ctx: LabContext,
  stage: PlannedStage,
  maxSeconds: number | undefined,
): Promise<StageOutcome> {
  return stage.kind === "prune"
    ? runPruneStage(ctx, stage)
    : runTrainingStage(ctx, stage, maxSeconds);
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs (or continues) a lab; resolves with the final lab.json. */
export async function runLab(
  options: LabOptions,
  log: (line: string) => void,
): Promise<LabSummary> {
  const labStart = performance.now();
  const out = options.out;
  // Checked, created and locked before anything loads; the report (a subprocess) takes the
  // lock over at the end, so this run releases it just before starting the report.
  const folder = holdFolder(out, {
    command: "lab",
    onInterrupt: `finished stages are kept in ${out}; rerun the same lab command to continue`,
  }, log);
  let finalSummary: LabSummary;
  try {
    const foreign = foreignRun(out) ??
      (existsFile(`${out}/${RUN_FILES.last}`)
        ? { kind: "a training run", file: RUN_FILES.last }
        : undefined);
    if (foreign && foreign.file !== LAB_FILES.summary) {
      throw new UsageError(
        `${out} is ${foreign.kind} (it holds ${foreign.file}), not a lab folder: choose another --out`,
      );
    }
    finalSummary = await runStages(options, log, labStart);
  } finally {
    folder.release();
  }
  const pdfPath = await renderLabReport(out, log);
  const seconds = (performance.now() - labStart) / 1000;
  const { lines, object } = labClosing(finalSummary, out, pdfPath, seconds);
  printClosing(log, lines, object, options.json);
  return finalSummary;
}

/** Runs every stage of the plan (each skipped when already complete); the final lab.json. */
async function runStages(
  options: LabOptions,
  log: (line: string) => void,
  labStart: number,
): Promise<LabSummary> {
  const out = options.out;
  const ctx = await labContext(options, log);
  const previous = await readLabSummary(out);
  const plan = labPlan({ ...options, recalibrate: options.recipe.recalibrate });
  const stages: LabStage[] = [];
  const progress = {
    plan,
    stages,
    previous,
    startedAt: previous?.startedAt ?? new Date().toISOString(),
  };
  for (const [index, stage] of plan.entries()) {
    const stageStart = performance.now();
    const left = options.timeBudget === undefined
      ? undefined
      : options.timeBudget - (performance.now() - labStart) / 1000;
    log(`\n== stage ${index + 1}/${plan.length}: ${stage.name} (${out}/${stage.dir})`);
    const outcome = await runStage(ctx, stage, stageBudget(plan, index, left));
    const seconds = (performance.now() - stageStart) / 1000;
    stages.push(stageRecord(stage, outcome, seconds, previous));
    await writeLabSummary(out, labSummary(ctx, progress, false));
  }
  const finalSummary = labSummary(ctx, progress, true);
  await writeLabSummary(out, finalSummary);
  return finalSummary;
}
