/**
 * The report of one pruning step of any architecture: `PruneReport`, plus the per-layer cap
 * when the step was a multi-pass one.
 *
 * @module
 */
import type { PruneReport } from "./report.ts";

/** {@linkcode PruneReport}, with the cap's fields when the step had one. */
export interface StepReport extends PruneReport {
  /** The cap used: largest fraction of a layer's channels this pass could remove. */
  readonly maxLayerRatio?: number;
  /** Layers (0-based, BN order) where the cap kept more channels than the threshold did. */
  readonly cappedLayers?: number[];
}
