/**
 * The problems section's content, derived from what the lab recorded (lab.json events)
 * and from what its results show: failed or missing stages, non-finite losses, runs that
 * stopped early, layers where the min-channels guard fired, accuracy that collapsed when
 * pruning and how much fine-tuning won back. Pure: lab data in, sentences out.
 *
 * @module
 */
import { pruneScript } from "@slimming/run-format";
import { formatAccuracy, formatRatio, formatSignificant, MISSING } from "./format.ts";
import { bestTestEpoch, firstNonFiniteLoss, isFiniteNumber, lastEpoch } from "./history.ts";
import { CHANCE_ACCURACY, prunedLabel, sparsityLabel, stageLabel } from "./labels.ts";
import type { LabData, LabEvent, LabStage, PruneSummary, TrainingRun } from "./lab_types.ts";
import { convLayerName } from "./layers.ts";
import { fineTuneStart } from "./fine_tune_start.ts";
import { curveFindings } from "./pruning_curve.ts";

/** Slim accuracy below this (percent) counts as collapsed: twice chance on 10 classes. */
export const COLLAPSE_ACCURACY = 2 * CHANCE_ACCURACY;

/** A drop from pruning of at least this many points is reported even without a collapse. */
export const NOTABLE_DROP = 5;

/** Masked and slim accuracies further apart than this (points) are reported. */
export const MASKED_SLIM_TOLERANCE = 1;

/** The problems section: events as recorded, and findings derived from the results. */
export interface Findings {
  /** One sentence per lab.json event, in recorded order. */
  readonly recorded: string[];
  /** One paragraph per problem found in the results. */
  readonly detected: string[];
  /** Where each pruning curve's knee lies and what λ did to it (empty without sweeps). */
  readonly curves: string[];
}

const eventTitles: Record<LabEvent["kind"], string> = {
  guard: "Min-channels guard",
  collapse: "Accuracy collapse",
  divergence: "Divergence",
  "time-budget": "Time budget",
  resumed: "Resumed",
  skipped: "Skipped",
  recovered: "Recovered",
  note: "Note",
};

function describeEvent(event: LabEvent): string {
  const title = eventTitles[event.kind] ?? event.kind;
  return `${title} (${event.stage}): ${event.message.trim()}`;
}

function points(value: number): string {
  const rounded = Math.abs(value).toFixed(1);
  return `${rounded} ${rounded === "1.0" ? "point" : "points"}`;
}

interface NamedRun {
  readonly name: string;
  readonly stage?: LabStage;
  readonly run?: TrainingRun;
}

function trainingProblems(named: NamedRun): string[] {
  const { name, stage, run } = named;
  const found: string[] = [];
  if (run === undefined) return found;
  const bad = firstNonFiniteLoss(run.history);
  if (bad !== undefined) {
    const before = run.history.filter((r) => r.epoch < bad.epoch && isFiniteNumber(r.testAcc))
      .at(-1);
    found.push(
      `${name}: the loss was not a finite number at epoch ${bad.epoch} (divergence)` +
        (before
          ? `; the last finite epoch (${before.epoch}) had ${
            formatAccuracy(before.testAcc)
          } test accuracy.`
          : "."),
    );
  }
  const planned = run.config?.epochs;
  if (isFiniteNumber(planned) && run.history.length < planned) {
    const status = stage?.status === "failed"
      ? "it failed"
      : stage?.status === "pending"
      ? "it had not finished"
      : "it stopped early";
    found.push(
      `${name} ran ${run.history.length} of ${planned} planned epochs (${status}); its figures ` +
        `and tables show the epochs that exist.`,
    );
  }
  const last = lastEpoch(run.history);
  if (last && isFiniteNumber(last.testAcc) && last.testAcc <= CHANCE_ACCURACY + 1) {
    found.push(
      `${name} ended at ${formatAccuracy(last.testAcc)} test accuracy, chance level for ` +
        `10 classes: it did not learn.`,
    );
  }
  return found;
}

function guardFinding(prune: PruneSummary, stage: LabStage | undefined): string | undefined {
  if (prune.guardedLayers.length === 0) return undefined;
  const layers = prune.guardedLayers.map((i) =>
    `${convLayerName(prune, i)} (kept ${prune.kept[i]} of ${prune.channelsBefore[i]})`
  );
  const min = isFiniteNumber(prune.minChannels)
    ? `${prune.minChannels} channels (the minimum)`
    : "the minimum number of channels";
  return `${stageLabel(stage, prunedLabel(prune.ratio))}: at ratio ${formatRatio(prune.ratio)} ` +
    `the global threshold |γ| < ${formatSignificant(prune.threshold)} would have left fewer than ` +
    `${min} in ${layers.length} of ${prune.kept.length} layers, which cuts ` +
    `the network. The min-channels guard kept each of those layers' largest-|γ| channels ` +
    `instead: ${layers.join(", ")}.`;
}

/** Points of accuracy above which BN recalibration counts as a large repair. */
export const NOTABLE_RECALIBRATION = 2;

/** Changes smaller than this (in points) are not worth a finding: the lab had nothing to repair. */
export const RECALIBRATION_NOISE = 0.5;

/**
 * What BN recalibration did to a prune, in words: why it helped, or why it could not (the
 * report shows vggprune's and the recalibrated accuracy side by side and explains the gap).
 */
function recalibrationFinding(prune: PruneSummary, label: string): string | undefined {
  const slim = prune.slimTestAcc;
  const recal = prune.recalibratedTestAcc;
  if (!isFiniteNumber(slim) || !isFiniteNumber(recal)) return undefined;
  const images = `${prune.recalibrationImages ?? MISSING}${
    prune.recalibrationAugmented ? " augmented" : ""
  }`;
  if (slim < COLLAPSE_ACCURACY && recal < COLLAPSE_ACCURACY) {
    return `${label}: re-estimating the BN statistics on ${images} training images did not ` +
      `rescue the slim model (${formatAccuracy(slim)} → ${formatAccuracy(recal)}): stale ` +
      "statistics are not what broke it. Too few channels are left (see the guard above) " +
      "for the remaining weights to carry the features; only retraining (fine-tuning) can " +
      "rebuild them.";
  }
  if (Math.abs(recal - slim) < RECALIBRATION_NOISE) return undefined;
  if (Math.abs(recal - slim) < NOTABLE_RECALIBRATION) {
    const cost = prune.testAccBefore - slim;
    return `${label}: re-estimating the BN statistics on ${images} training images changed ` +
      `test accuracy by ${recal >= slim ? "+" : "−"}${points(Math.abs(recal - slim))} ` +
      `(${formatAccuracy(slim)} → ${formatAccuracy(recal)})` +
      (isFiniteNumber(cost) && cost < NOTABLE_DROP
        ? `: the prune itself cost only ${points(cost)} (the channels it removed had |γ| at ` +
          `or below ${formatSignificant(prune.threshold)}), so the statistics copied from the ` +
          "full network still fitted the slimmer one and there was little to repair."
        : ".");
  }
  return recal > slim
    ? `${label}: ${pruneScript(prune.arch)}'s slim model scored ${
      formatAccuracy(slim)
    }, but the same weights ` +
      `with every BN layer's running mean and variance re-estimated on ${images} training ` +
      `images (forward passes only, no weight changed) scored ${formatAccuracy(recal)}, ` +
      `${points(recal - slim)} more. Removing a channel removes its constant ReLU(β) output, ` +
      "so each following layer's inputs shift and the running statistics copied from the " +
      "full network no longer describe them; re-estimating them repairs that, and the " +
      "fine-tune started from the recalibrated model."
    : `${label}: re-estimating the BN statistics on ${images} training images lowered test ` +
      `accuracy from ${formatAccuracy(slim)} to ${formatAccuracy(recal)}` +
      (prune.recalibrationAugmented
        ? "; the copied statistics fitted the test set better than those of so few images."
        : ". The weights were trained under the statistics of augmented (cropped, flipped) " +
          "batches, and plain images give other statistics; `--recalibrate-augment true` " +
          "re-estimates them on augmented images.");
}

function accuracyFindings(
  prune: PruneSummary,
  stage: LabStage | undefined,
  finetune: TrainingRun | undefined,
): string[] {
  const found: string[] = [];
  const before = prune.testAccBefore;
  const slim = prune.slimTestAcc;
  const label = stageLabel(stage, prunedLabel(prune.ratio));
  if (isFiniteNumber(slim) && isFiniteNumber(before)) {
    const collapsed = slim < COLLAPSE_ACCURACY;
    const drop = before - slim;
    if (collapsed || drop >= NOTABLE_DROP) {
      let text = collapsed
        ? `${label}: pruning ${formatRatio(prune.ratio)} of the channels collapsed test accuracy ` +
          `from ${formatAccuracy(before)} to ${formatAccuracy(slim)} (slim model, before ` +
          `fine-tuning; chance is ${formatAccuracy(CHANCE_ACCURACY, 0)}).`
        : `${label}: pruning ${formatRatio(prune.ratio)} of the channels cost ${points(drop)} ` +
          `of test accuracy (${formatAccuracy(before)} → ${formatAccuracy(slim)}, slim model).`;
      const final = finetune && lastEpoch(finetune.history);
      const best = finetune && bestTestEpoch(finetune.history);
      const start = fineTuneStart(prune, finetune);
      if (final && isFiniteNumber(final.testAcc)) {
        const gap = before - final.testAcc;
        const from = start.recalibrated && isFiniteNumber(start.accuracy)
          ? `${points(final.testAcc - start.accuracy)} gained over the recalibrated model it ` +
            `started from (${formatAccuracy(start.accuracy)})`
          : `${points(final.testAcc - slim)} gained`;
        text += ` Fine-tuning for ${finetune.history.length} epochs recovered it to ` +
          `${formatAccuracy(final.testAcc)} (best ${formatAccuracy(best?.testAcc)} at epoch ` +
          `${best?.epoch ?? MISSING}), ${from}; that is ` +
          (gap > 0
            ? `${points(gap)} below the unpruned model.`
            : `${points(gap)} above the unpruned model.`);
      } else {
        text += " Fine-tuning was not run, so this accuracy was not recovered.";
      }
      found.push(text);
    }
  }
  const recal = recalibrationFinding(prune, label);
  if (recal) found.push(recal);
  const masked = prune.maskedTestAcc;
  if (
    isFiniteNumber(masked) && isFiniteNumber(slim) &&
    Math.abs(masked - slim) > MASKED_SLIM_TOLERANCE
  ) {
    found.push(
      `${label}: the masked model (pruned γ set to 0 in the full network) scored ` +
        `${formatAccuracy(masked)} but the slim model ${formatAccuracy(slim)}, ` +
        `${points(masked - slim)} apart. They are not the same network: zeroing γ leaves ` +
        `each pruned channel's BN shift β feeding the next layer, while the slim model drops it.`,
    );
  }
  return found;
}

/** Everything the problems section lists. */
export function findProblems(lab: LabData): Findings {
  const recorded = lab.events.map(describeEvent);
  const detected: string[] = [];

  for (const stage of lab.info.stages) {
    if (stage.status === "failed") detected.push(`Stage “${stage.name}” failed (lab.json).`);
  }
  const notRun = [
    ...lab.sparsity.filter((s) => s.run === undefined).map((s) =>
      `sparsity training ${sparsityLabel(s.lambda)}`
    ),
    ...lab.prunes.filter((p) => p.summary === undefined).map((p) =>
      `prune ${formatRatio(p.ratio)}`
    ),
    ...lab.finetunes.filter((f) => f.run === undefined).map((f) =>
      `fine-tune ${formatRatio(f.ratio)}`
    ),
  ];
  if (notRun.length > 0) {
    detected.push(
      `Not run: ${notRun.join(", ")}. The lab is partial; these appear as “not run” above.`,
    );
  }
  for (const s of lab.sparsity) {
    detected.push(...trainingProblems({
      name: stageLabel(s.stage, `sparsity training ${sparsityLabel(s.lambda)}`),
      stage: s.stage,
      run: s.run,
    }));
    if (s.run !== undefined && s.run.gammas === undefined && s.run.gammaProblem) {
      detected.push(
        `${sparsityLabel(s.lambda)}: no |γ| histogram, because ${s.run.gammaProblem}.`,
      );
    }
  }
  lab.prunes.forEach((p, i) => {
    if (p.summary === undefined) return;
    const guard = guardFinding(p.summary, p.stage);
    if (guard) detected.push(guard);
    detected.push(...accuracyFindings(p.summary, p.stage, lab.finetunes[i]?.run));
  });
  for (const f of lab.finetunes) {
    detected.push(...trainingProblems({
      name: stageLabel(f.stage, `fine-tune ${formatRatio(f.ratio)}`),
      stage: f.stage,
      run: f.run,
    }));
  }
  for (const s of lab.sweeps) {
    if (s.summary === undefined && s.stage?.status !== "pending") {
      detected.push(`${stageLabel(s.stage, "a sweep")}: no sweep.json.`);
    }
  }
  return { recorded, detected, curves: curveFindings(lab) };
}
