/**
 * `deno task finetune`: trains a (pruned) checkpoint further without the sparsity term.
 *
 * @module
 */
import { type Command, defineCommand, type OptionSpecs, requiredString } from "../cli_args.ts";
import { checkpointSpec, describeSpec, loadModel } from "../checkpoint.ts";
import { checkCheckpointDataset } from "../dataset_guard.ts";
import type { TrainingResult } from "../training.ts";
import {
  prepareRun,
  runConfig,
  trainFromSetup,
  TRAINING_OPTIONS,
  trainingSetup,
} from "./training_options.ts";
import { trainingCommand } from "./training_run.ts";

const SPECS: OptionSpecs = {
  checkpoint: {
    type: "string",
    value: "FILE",
    help: "model to fine-tune, e.g. <prune dir>/pruned.safetensors (required)",
  },
  ...TRAINING_OPTIONS,
  epochs: { ...TRAINING_OPTIONS.epochs, default: "20" },
};

/** Runs `finetune` with command-line arguments. */
export const finetuneCommand: Command<TrainingResult> = defineCommand(
  "finetune",
  "Fine-tune a checkpoint (usually a pruned model) with lambda 0 on the --dataset it was trained on;\n" +
    "same outputs as train.",
  SPECS,
  async (values, log) => {
    const setup = trainingSetup(values);
    const checkpoint = requiredString(values, "checkpoint");
    const spec = await checkpointSpec(checkpoint);
    await checkCheckpointDataset(checkpoint, setup.dataset);
    const run = { ...setup, command: "finetune" as const, json: values.json === true };
    return await trainingCommand(run, log, async () => {
      const { backend, data } = await prepareRun(setup, log);
      const config = runConfig(
        setup,
        { command: "finetune", spec, depth: spec.depth, width: 1, lambda: 0, checkpoint },
        backend,
        data,
      );
      log(
        `fine-tuning ${checkpoint}: ${describeSpec(spec)}, ${setup.epochs} epochs -> ${setup.out}`,
      );
      return await trainFromSetup(
        setup,
        config,
        data,
        async () => (await loadModel(checkpoint)).params,
      );
    });
  },
);
