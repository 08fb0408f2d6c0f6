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
import { cfgForDepth, scaleCfg, validateCfg } from "@slimming/vgg/cfg";
import { prepareRun } from "../commands/training_options.ts";
import { createProgressPrinter, formatDuration } from "../progress.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import type { LabOptions } from "./options.ts";
import { runPruneStage } from "./prune_stage.ts";
import { renderLabReport } from "./report_step.ts";
import { labSummary, stageRecord } from "./summary.ts";
import { runTrainingStage } from "./training_stage.ts";

async function labContext(options: LabOptions, log: (line: string) => void): Promise<LabContext> {
  const cfg = [...validateCfg(scaleCfg(cfgForDepth(options.depth), options.width))];
  const { backend, data } = await prepareRun(options, log);
  const progress = createProgressPrinter({ quiet: options.quiet });
  return { options, cfg, backend, data, progress, log, events: [] };
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

/** Runs (or continues) a lab; resolves with the final lab.json. */
export async function runLab(
  options: LabOptions,
  log: (line: string) => void,
): Promise<LabSummary> {
  const labStart = performance.now();
  const out = options.out;
  await Deno.mkdir(out, { recursive: true });
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
  const pdfPath = await renderLabReport(out, log);
  log(`\nreport: ${pdfPath} (${formatDuration((performance.now() - labStart) / 1000)} in all)`);
  return finalSummary;
}
