/**
 * The paper's curve from the lab's sweeps: each λ's accuracy against the share of channels
 * pruned, where each curve's knee lies, and what the curves say about the sparsity training.
 * Pure: sweeps in, numbers and sentences out.
 *
 * @module
 */
import { formatAccuracy, formatRatio } from "./format.ts";
import { sparsityLabel } from "./labels.ts";
import type { LabData, SweepPoint, SweepSummary } from "./lab_types.ts";

/** A curve holds while its accuracy stays within this many points of the unpruned model. */
export const KNEE_DROP = 2;

/** The accuracy a sweep point is judged by: recalibrated when measured, else slim. */
export function curveAccuracy(point: SweepPoint): number {
  return point.recalibratedTestAcc ?? point.slimTestAcc;
}

/** Where a curve's knee lies. */
export interface Knee {
  /** The largest swept ratio up to which every point holds (undefined: not even the first). */
  readonly holdsTo?: number;
  /** The first swept ratio that falls more than {@linkcode KNEE_DROP} points (undefined: none). */
  readonly fallsAt?: number;
  /** Accuracy at `fallsAt`. */
  readonly fallsTo?: number;
}

/** The knee of `sweep`'s curve (points in ratio order). */
export function kneeOf(sweep: Pick<SweepSummary, "testAccBefore" | "points">): Knee {
  const floor = sweep.testAccBefore - KNEE_DROP;
  const points = [...sweep.points].sort((a, b) => a.ratio - b.ratio);
  const falling = points.findIndex((p) => !(curveAccuracy(p) >= floor));
  if (falling < 0) return { holdsTo: points.at(-1)?.ratio };
  return {
    ...(falling > 0 ? { holdsTo: points[falling - 1].ratio } : {}),
    fallsAt: points[falling].ratio,
    fallsTo: curveAccuracy(points[falling]),
  };
}

/** The point of `sweep` at `ratio`, if it was swept. */
export function pointAt(sweep: SweepSummary, ratio: number): SweepPoint | undefined {
  return sweep.points.find((p) => Math.abs(p.ratio - ratio) < 1e-9);
}

/** The ratios the report tabulates: 30/50/70/90% where swept, else up to five spread out. */
export function tabulatedRatios(sweeps: readonly SweepSummary[]): number[] {
  const swept = [...new Set(sweeps.flatMap((s) => s.points.map((p) => p.ratio)))].sort((a, b) =>
    a - b
  );
  const wanted = [0.3, 0.5, 0.7, 0.9].filter((r) => swept.some((s) => Math.abs(s - r) < 1e-9));
  if (wanted.length > 0) return wanted;
  if (swept.length <= 5) return swept;
  return Array.from({ length: 5 }, (_, i) => swept[Math.round((i * (swept.length - 1)) / 4)]);
}

/** A knee in words: "holds to 60% (falls to 52.10% at 70%)". */
export function kneeWords(knee: Knee): string {
  if (knee.fallsAt === undefined) {
    return `holds at every ratio swept (to ${formatRatio(knee.holdsTo)})`;
  }
  const fall = `falls to ${formatAccuracy(knee.fallsTo)} at ${formatRatio(knee.fallsAt)}`;
  return knee.holdsTo === undefined
    ? `${fall}, the first ratio swept`
    : `holds to ${formatRatio(knee.holdsTo)} (${fall})`;
}

/** Sentences for the problems section: each curve's knee and what λ did to it. */
export function curveFindings(lab: LabData): string[] {
  const swept = lab.sweeps.flatMap((s) => (s.summary ? [{ ...s, summary: s.summary }] : []));
  if (swept.length === 0) return [];
  const images = swept[0].summary.testImages.toLocaleString("en-US");
  const judged = swept[0].summary.recalibrationImages > 0 ? "BN recalibrated" : "slim";
  const knees = swept.map((s) => ({ lambda: s.lambda, knee: kneeOf(s.summary), s }));
  const found = [
    `Pruning curves (each λ's model swept on ${images} test images, ${judged}; a curve holds ` +
    `while it stays within ${KNEE_DROP} points of its unpruned model): ` +
    knees.map(({ lambda, knee, s }) =>
      `${sparsityLabel(lambda)} (unpruned ${formatAccuracy(s.summary.testAccBefore)}) ${
        kneeWords(knee)
      }`
    ).join("; ") + ".",
  ];
  const dense = knees.find((k) => k.lambda === 0);
  const pruned = knees.find((k) => k.lambda === lab.pruneLambda);
  if (dense && pruned && dense !== pruned) {
    const reach = (k: Knee) => k.holdsTo ?? 0;
    const held = (k: Knee, first: number) =>
      k.holdsTo === undefined
        ? `falls from the first ratio swept (${formatRatio(first)})`
        : `holds to ${formatRatio(k.holdsTo)}`;
    const first = (k: typeof dense) => k.s.summary.points[0]?.ratio ?? 0;
    const words = `λ = 0's curve ${held(dense.knee, first(dense))}, ${
      sparsityLabel(pruned.lambda)
    }'s ${held(pruned.knee, first(pruned))}`;
    found.push(
      reach(pruned.knee) > reach(dense.knee)
        ? `The sparsity training moved the knee: ${words}, as the paper reports. Pruning ` +
          `${sparsityLabel(pruned.lambda)}'s model up to ${
            formatRatio(reach(pruned.knee))
          } costs less than ${KNEE_DROP} points before any fine-tuning.`
        : `The λ = 0 curve does not fall earlier than ${
          sparsityLabel(pruned.lambda)
        }'s (${words}): in this run the sparsity training did not move the knee. That is a ` +
          "finding about the recipe, not the method: the L1 term had too little time (λ·Σlr) " +
          "to push the γ it does not need towards zero, or BN recalibration already repairs " +
          "the λ = 0 model's prunes at these ratios; the paper trained 160 epochs.",
    );
  }
  return found;
}
