/**
 * What a lab scales down compared to the paper, in words, computed from the lab's recorded
 * settings (never from a profile's defaults): the report states only what happened.
 *
 * @module
 */
import { archInfoOfTag } from "@slimming/architectures/info";
import { type ModelFields, modelName } from "./model_name.ts";
import type { TrainingRecipe } from "./records.ts";

/** The paper's CIFAR-10 VGG setting (Liu et al. 2017, section 4.2; reference `main.py`). */
export const PAPER_SETTING = {
  depth: 19,
  width: 1,
  epochs: 160,
  finetuneEpochs: 160,
  batchSize: 64,
  trainImages: 50_000,
  testImages: 10_000,
  recipe: {
    schedule: "step",
    lr: 0.1,
    finetuneLr: 0.1,
    momentum: 0.9,
    nesterov: false,
    weightDecay: 1e-4,
    labelSmoothing: 0,
    recalibrate: 0,
  } satisfies TrainingRecipe,
} as const;

/** The network the paper trains for a lab's architecture (its descriptor's `paperNetwork`). */
function paperNetwork(arch: string | undefined): ModelFields {
  const info = archInfoOfTag(arch, "lab.json");
  return { arch: info.name, ...info.paperNetwork };
}

/** The settings a lab records (a subset of lab.json). */
export interface LabScale {
  /** The architecture's tag (absent: the registry's untagged architecture). */
  readonly arch?: string;
  /** DenseNet's growth rate (the paper's: 12). */
  readonly growthRate?: number;
  readonly depth: number;
  readonly width: number;
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly subset?: number;
  readonly testSubset?: number;
  readonly recipe?: TrainingRecipe;
  readonly timeBudget?: number;
  /** Sparsity trainings' and fine-tunes' images an epoch, when not all. */
  readonly imagesPerEpoch?: number;
  readonly finetuneImagesPerEpoch?: number;
  /** The budget plan's sentence (what was measured and planned), when the lab planned. */
  readonly planReason?: string;
}

const count = (n: number) => n.toLocaleString("en-US");

function widthText(width: number): string {
  const names: Record<number, string> = { 0.5: "half", 0.25: "a quarter", 0.125: "an eighth" };
  return names[width] ? `${names[width]} of the width` : `${width} times the width`;
}

/**
 * A recipe's learning-rate schedule in words, with `lr` as given (a number, or a text such as
 * "0.1 (fine-tunes: 0.05)").
 */
export function scheduleWords(recipe: TrainingRecipe, lr: string | number = recipe.lr): string {
  if (recipe.schedule === "onecycle") {
    return `one-cycle learning rate (warm-up over ${
      Math.round(100 * (recipe.warmup ?? 0.15))
    }% of the steps to ${lr}, then cosine to 0)`;
  }
  return recipe.schedule === "cosine"
    ? `cosine learning rate from ${lr} to 0`
    : `learning rate ${lr} divided by 10 at 50% and 75% of the epochs`;
}

function recipeLines(recipe: TrainingRecipe | undefined): string[] {
  if (!recipe) return [];
  const paper = PAPER_SETTING.recipe;
  const lines: string[] = [];
  if (recipe.schedule !== paper.schedule || recipe.lr !== paper.lr) {
    lines.push(`${scheduleWords(recipe)} instead of the paper's 0.1 divided by 10 at 50% and 75%`);
  }
  if (recipe.finetuneLr !== recipe.lr) lines.push(`fine-tuning learning rate ${recipe.finetuneLr}`);
  const extras = [
    recipe.nesterov ? "Nesterov momentum" : "",
    recipe.labelSmoothing > 0 ? `label smoothing ${recipe.labelSmoothing}` : "",
    recipe.weightDecay !== paper.weightDecay
      ? `weight decay ${recipe.weightDecay} (paper: 1e-4)`
      : "",
    recipe.momentum !== paper.momentum ? `momentum ${recipe.momentum} (paper: 0.9)` : "",
  ].filter(Boolean);
  if (extras.length > 0) lines.push(`added for the short budget: ${extras.join(", ")}`);
  if (recipe.recalibrate > 0) {
    lines.push(
      `after pruning, BN statistics re-estimated on ${count(recipe.recalibrate)} training images` +
        (recipe.recalibrateAugment ? " with the training augmentation" : "") +
        " (not in the paper or the reference; the fine-tunes start from the recalibrated model)",
    );
  }
  return lines;
}

/** Each way `lab` differs from the paper's setting, in words; empty when it does not. */
export function scaledDownFrom(lab: LabScale): string[] {
  const paper = PAPER_SETTING;
  const lines: string[] = [];
  const network = paperNetwork(lab.arch);
  const growthRate = lab.growthRate ?? network.growthRate;
  if (
    lab.depth !== network.depth || lab.width !== paper.width || growthRate !== network.growthRate
  ) {
    const width = lab.width === 1 ? "" : ` at ${widthText(lab.width)}`;
    const ours = modelName({ arch: network.arch, depth: lab.depth, growthRate });
    lines.push(`${ours}${width} (paper: ${modelName(network)})`);
  }
  if (lab.subset !== undefined && lab.subset < paper.trainImages) {
    lines.push(`${count(lab.subset)} of the 50,000 training images`);
  }
  if (lab.testSubset !== undefined && lab.testSubset < paper.testImages) {
    lines.push(`${count(lab.testSubset)} of the 10,000 test images`);
  }
  const ofAll = (images: number | undefined) =>
    images === undefined ? "" : ` of ${count(images)} images each (a fresh seeded draw an epoch)`;
  if (lab.epochs !== paper.epochs || lab.imagesPerEpoch !== undefined) {
    lines.push(`${lab.epochs} sparsity epochs${ofAll(lab.imagesPerEpoch)} (paper: 160)`);
  }
  if (lab.finetuneEpochs !== paper.finetuneEpochs || lab.finetuneImagesPerEpoch !== undefined) {
    lines.push(
      `${lab.finetuneEpochs} fine-tune epochs${ofAll(lab.finetuneImagesPerEpoch)} (paper: 160)`,
    );
  }
  if (lab.batchSize !== paper.batchSize) lines.push(`batch size ${lab.batchSize} (paper: 64)`);
  lines.push(...recipeLines(lab.recipe));
  if (lab.timeBudget !== undefined) {
    const minutes = Math.round(lab.timeBudget / 60);
    lines.push(
      lab.planReason
        ? `a ${minutes}-minute wall-time budget, planned from the machine's speed: ${lab.planReason}`
        : `a ${minutes}-minute wall-time budget: a stage that runs late is cut short and says so`,
    );
  }
  return lines;
}
