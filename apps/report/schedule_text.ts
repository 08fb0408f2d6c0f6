/**
 * A run's optimiser settings in words, from its config.json.
 *
 * @module
 */
import { scheduleWords } from "@slimming/run-format";
import type { RunConfig, TrainingRecipe } from "./lab_types.ts";

/** The learning-rate schedule of a run, in words. */
export function scheduleText(config: RunConfig): string {
  const schedule = config.schedule ?? "step";
  const extras = [
    config.nesterov ? "Nesterov" : "",
    config.labelSmoothing ? `label smoothing ${config.labelSmoothing}` : "",
    config.weightDecay !== undefined ? `weight decay ${config.weightDecay}` : "",
  ].filter(Boolean).join(", ");
  const lr = schedule === "onecycle"
    ? `one-cycle learning rate peaking at ${config.lr}`
    : schedule === "cosine"
    ? `cosine learning rate from ${config.lr}`
    : `learning rate ${config.lr}${
      config.lrSteps?.length ? `, divided by 10 at epochs ${config.lrSteps.join(", ")}` : ""
    }`;
  return extras ? `${lr}; ${extras}` : lr;
}

/** A lab's recipe in words (lab.json `recipe`). */
export function recipeText(recipe: TrainingRecipe): string {
  const lrs = recipe.finetuneLr === recipe.lr
    ? `${recipe.lr}`
    : `${recipe.lr} (fine-tunes: ${recipe.finetuneLr})`;
  return [
    scheduleWords(recipe, lrs),
    `SGD momentum ${recipe.momentum}${recipe.nesterov ? " (Nesterov)" : ""}`,
    `weight decay ${recipe.weightDecay}`,
    recipe.labelSmoothing > 0 ? `label smoothing ${recipe.labelSmoothing}` : "no label smoothing",
    recipe.recalibrate > 0
      ? `BN statistics recalibrated on ${recipe.recalibrate}${
        recipe.recalibrateAugment ? " augmented" : ""
      } training images after pruning`
      : "no BN recalibration after pruning",
  ].join("; ");
}
