/**
 * The lab's sweep stage: one λ's best model pruned at every ratio of the profile's sweep with
 * `prune`'s rules, recalibrated as the lab's prunes are, evaluated and timed, into
 * `sweep-<λ>/sweep.json` (or found done).
 *
 * @module
 */
import { subsetBalanced } from "@slimming/cifar";
import { disposeTree } from "@slimming/tensor-utils";
import { type PlannedStage, readSweepSummary, writeSweepSummary } from "@slimming/run-format";
import { formatDuration, loadModel } from "@slimming/train";
import type { LoadedData } from "../dataset.ts";
import { sweepModel } from "../sweep.ts";
import type { LabContext, StageOutcome } from "./context.ts";
import type { LabSweep } from "./profiles.ts";

/** The lab's data with the test split cut to the sweep's class-balanced subset. */
export function sweepData(data: LoadedData, sweep: LabSweep, seed: number): LoadedData {
  const images = sweep.testImages;
  if (images === undefined || images >= data.test.count) return data;
  return { ...data, test: subsetBalanced(data.test, images, seed + 2, data.spec.classCount) };
}

const pct = (v: number | undefined) => (v === undefined ? "—" : `${v.toFixed(2)}%`);

/** Runs one sweep stage of the plan (skipped when its sweep.json exists). */
export async function runSweepStage(ctx: LabContext, stage: PlannedStage): Promise<StageOutcome> {
  const { options, log } = ctx;
  const dir = `${options.out}/${stage.dir}`;
  const sweep = options.sweep;
  if (await readSweepSummary(dir)) {
    log(`already done (${dir}/sweep.json)`);
    return { status: "done", alreadyDone: true };
  }
  if (sweep === undefined) throw new Error("a sweep stage in a lab without a sweep");
  const source = `${options.out}/${stage.source}`;
  const { params } = await loadModel(source);
  const data = sweepData(ctx.data, sweep, options.seed);
  const started = performance.now();
  try {
    const summary = await sweepModel(params, {
      ratios: sweep.ratios,
      minChannels: options.minChannels,
      roundTo: 1,
      recalibrate: options.recipe.recalibrate,
      recalibrateAugment: options.recipe.recalibrateAugment ?? false,
      seed: options.seed,
      checkpoint: source,
      data,
      onPoint: (p, i) => {
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / (i + 1)) * (sweep.ratios.length - i - 1);
        log(
          `ratio ${p.ratio} (${i + 1}/${sweep.ratios.length}): slim ${pct(p.slimTestAcc)}, ` +
            `recalibrated ${pct(p.recalibratedTestAcc)}, ${
              p.paramsAfter.toLocaleString("en-US")
            } params  ETA ${formatDuration(eta)}`,
        );
      },
    });
    await Deno.mkdir(dir, { recursive: true });
    await writeSweepSummary(dir, summary);
    log(
      `swept ${sweep.ratios.length} ratios on ${data.test.count} test images in ${
        formatDuration(summary.seconds)
      } (unpruned ${pct(summary.testAccBefore)})`,
    );
  } finally {
    disposeTree(params);
  }
  return { status: "done", alreadyDone: false };
}
