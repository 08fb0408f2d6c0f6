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
  pendingStage,
  type PlannedStage,
  readLabSummary,
  RUN_FILES,
  stageBudget,
  writeLabSummary,
  writeLabSummarySync,
} from "@slimming/run-format";
import { architecture, DEFAULT_ARCH } from "@slimming/architectures";
import { prepareRun } from "../commands/training_options.ts";
import { existsSync, UsageError } from "@slimming/tensor-utils/core";
import { LAB_FILES } from "@slimming/run-format";
import { labClosing, printClosing } from "../closing.ts";
import { createProgressPrinter } from "@slimming/train";
import { holdFolder } from "../run_folder.ts";
import { foreignRun } from "../run_kind.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import type { LabOptions } from "./options.ts";
import { runPruneStage } from "./prune_stage.ts";
import { renderLabReport } from "./report_step.ts";
import { type LabProgress, labSummary, stageRecord } from "./summary.ts";
import { runSweepStage } from "./sweep_stage.ts";
import { runTrainingStage } from "./training_stage.ts";
import { planLab, replanFinetunes } from "./plan_lab.ts";

async function labContext(options: LabOptions, log: (line: string) => void): Promise<LabContext> {
  const spec = architecture(options.arch ?? DEFAULT_ARCH).specFor({
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
  if (stage.kind === "prune") return runPruneStage(ctx, stage);
  if (stage.kind === "sweep") return runSweepStage(ctx, stage);
  return runTrainingStage(ctx, stage, maxSeconds);
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
  const interrupt: { record?: () => void } = {};
  const folder = holdFolder(out, {
    command: "lab",
    onInterrupt: `finished stages are kept in ${out}; rerun the same lab command to continue`,
    beforeExit: () => interrupt.record?.(),
  }, log);
  let finalSummary: LabSummary;
  try {
    const foreign = foreignRun(out) ??
      (existsSync(`${out}/${RUN_FILES.last}`, { isFile: true })
        ? { kind: "a training run", file: RUN_FILES.last }
        : undefined);
    if (foreign && foreign.file !== LAB_FILES.summary) {
      throw new UsageError(
        `${out} is ${foreign.kind} (it holds ${foreign.file}), not a lab folder: choose another --out`,
      );
    }
    finalSummary = await runStages(options, log, labStart, interrupt);
  } finally {
    folder.release();
  }
  const pdfPath = await renderLabReport(out, log);
  const seconds = (performance.now() - labStart) / 1000;
  const { lines, object } = labClosing(finalSummary, out, pdfPath, seconds);
  printClosing(log, lines, object, options.json);
  return finalSummary;
}

/** A stage as Ctrl-C left it: stopped early after the epochs its folder committed. */
function interruptedStage(stage: PlannedStage, out: string, seconds: number): LabStage {
  let epochs = 0;
  try {
    const history = JSON.parse(Deno.readTextFileSync(`${out}/${stage.dir}/${RUN_FILES.history}`));
    if (Array.isArray(history)) epochs = history.length;
  } catch {
    // no epoch committed yet
  }
  return {
    ...pendingStage(stage),
    status: "stopped",
    seconds,
    ...(stage.kind === "train" || stage.kind === "finetune" ? { epochs } : {}),
  };
}

/** Runs every stage of the plan (each skipped when already complete); the final lab.json. */
async function runStages(
  given: LabOptions,
  log: (line: string) => void,
  labStart: number,
  interrupt: { record?: () => void },
): Promise<LabSummary> {
  const out = given.out;
  const previous = await readLabSummary(out);
  const loaded = await labContext(given, log);
  const options = await planLab(loaded, previous, (performance.now() - labStart) / 1000);
  let ctx: LabContext = { ...loaded, options };
  // Until the fine-tunes are planned again after the prunes, they weigh what they take at
  // their floor: a sparsity training that runs late takes from them before it is cut short.
  const stagesOf = (o: LabOptions) =>
    labPlan({
      ...o,
      recalibrate: o.recipe.recalibrate,
      sweep: o.sweep,
      estimate: o.plan && {
        ...o.plan.estimate,
        finetune: o.plan.finetune?.estimate ?? o.plan.estimate.finetuneFloor ??
          o.plan.estimate.finetune,
      },
    });
  let plan = stagesOf(options);
  const stages: LabStage[] = [];
  const progress: { plan: PlannedStage[] } & Omit<LabProgress, "plan"> = {
    plan,
    stages,
    previous,
    startedAt: previous?.startedAt ?? new Date().toISOString(),
  };
  for (let index = 0; index < plan.length; index++) {
    const secondsLeft = () =>
      ctx.options.timeBudget === undefined
        ? undefined
        : ctx.options.timeBudget - (performance.now() - labStart) / 1000;
    if (plan[index].kind === "finetune" && plan[index - 1]?.kind !== "finetune") {
      // The pruned models exist now: measure them and size the fine-tunes to the time left.
      const finetunes = plan.filter((s) => s.kind === "finetune");
      const replanned = await replanFinetunes(ctx, finetunes, secondsLeft() ?? Infinity);
      if (replanned !== ctx.options) {
        ctx = { ...ctx, options: replanned };
        plan = stagesOf(replanned);
        progress.plan = plan;
        await writeLabSummary(out, labSummary(ctx, progress, false));
      }
    }
    const stage = plan[index];
    const stageStart = performance.now();
    const left = secondsLeft();
    log(`\n== stage ${index + 1}/${plan.length}: ${stage.name} (${out}/${stage.dir})`);
    // Ctrl-C during this stage records it as stopped early, with the epochs it committed.
    interrupt.record = () =>
      writeLabSummarySync(out, {
        ...labSummary(ctx, progress, false),
        stages: [
          ...stages,
          interruptedStage(stage, out, (performance.now() - stageStart) / 1000),
          ...plan.slice(index + 1).map(pendingStage),
        ],
      });
    const outcome = await runStage(ctx, stage, stageBudget(plan, index, left));
    interrupt.record = undefined;
    const seconds = (performance.now() - stageStart) / 1000;
    stages.push(stageRecord(stage, outcome, seconds, previous));
    await writeLabSummary(out, labSummary(ctx, progress, false));
  }
  const finalSummary = labSummary(ctx, progress, true);
  await writeLabSummary(out, finalSummary);
  return finalSummary;
}
