/**
 * The names of the files in a run folder, a prune folder and a lab folder.
 *
 * @module
 */

/**
 * The files of a training or fine-tuning run folder, in the order an epoch writes them:
 * `last.optimizer.safetensors` (the previous one kept as `last.optimizer.prev.safetensors`),
 * `history.json`, `last.safetensors` (the commit point), `best.safetensors`; `config.json`
 * once, when the run starts.
 */
export const RUN_FILES = {
  config: "config.json",
  history: "history.json",
  last: "last.safetensors",
  best: "best.safetensors",
  optimizer: "last.optimizer.safetensors",
  optimizerPrev: "last.optimizer.prev.safetensors",
} as const;

/** The files of a prune folder: the summary and the smaller model. */
export const PRUNE_FILES = {
  summary: "prune.json",
  model: "pruned.safetensors",
  /** The slim model with BN statistics re-estimated on training images (`--recalibrate N`). */
  recalibrated: "recalibrated.safetensors",
} as const;

/** The files of a sweep folder: one summary, no models. */
export const SWEEP_FILES = {
  summary: "sweep.json",
} as const;

/** The files of a lab folder (besides one folder per stage). */
export const LAB_FILES = {
  summary: "lab.json",
  report: "report.pdf",
  /** The same report as one self-contained page (inline SVG, the sweep explorer). */
  html: "report.html",
  figures: "figures",
} as const;
