/**
 * The lab's prune stage: prunes the chosen λ's best model at one ratio (or finds it done).
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import { type PlannedStage, PRUNE_FILES, readPruneSummary } from "@slimming/run-format";
import { loadModel } from "@slimming/train";
import { pruneModel } from "../prune_model.ts";
import { formatMasked } from "../prune_table.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import { pruneEvents } from "./events.ts";

/** Runs one prune stage of the plan (skipped when its prune.json exists). */
export async function runPruneStage(ctx: LabContext, stage: PlannedStage): Promise<StageOutcome> {
  const { options, log } = ctx;
  const dir = `${options.out}/${stage.dir}`;
  let pruned = await readPruneSummary(dir);
  const alreadyDone = pruned !== undefined;
  if (pruned) {
    log(`already done (${dir}/${PRUNE_FILES.summary})`);
  } else {
    const source = `${options.out}/${stage.source}`;
    const { params } = await loadModel(source);
    pruned = await pruneModel(params, {
      ratio: stage.value,
      minChannels: options.minChannels,
      recalibrate: options.recipe.recalibrate,
      recalibrateAugment: options.recipe.recalibrateAugment ?? false,
      seed: options.seed,
      checkpoint: source,
      out: dir,
      data: ctx.data,
    });
    disposeTree(params);
  }
  log(
    `test accuracy ${pruned.testAccBefore.toFixed(2)}% -> masked ${formatMasked(pruned)}, slim ${
      pruned.slimTestAcc.toFixed(2)
    }%${
      pruned.recalibratedTestAcc === undefined
        ? ""
        : `, recalibrated ${pruned.recalibratedTestAcc.toFixed(2)}%`
    }; params ${pruned.paramsBefore} -> ${pruned.paramsAfter}`,
  );
  ctx.events.push(...pruneEvents(pruned, stage.dir));
  return { status: "done", alreadyDone };
}
