/**
 * `deno task finetune`: trains a (pruned) checkpoint further without the sparsity term.
 *
 * @module
 */
import { helpText, type OptionSpecs, parseCommand, requiredString } from "../cli_args.ts";
import { checkpointCfg, loadModel } from "../checkpoint.ts";
import { createProgressPrinter } from "../progress.ts";
import { runTraining, type TrainingResult } from "../training.ts";
import { disposeState } from "../train_step.ts";
import { prepareRun, runConfig, TRAINING_OPTIONS, trainingSetup } from "./training_options.ts";

const SPECS: OptionSpecs = {
  checkpoint: {
    type: "string",
    value: "FILE",
    help: "model to fine-tune, e.g. <prune dir>/pruned.safetensors (required)",
  },
  ...TRAINING_OPTIONS,
  epochs: { ...TRAINING_OPTIONS.epochs, default: "20" },
};

/** Help of `finetune`. */
export const FINETUNE_HELP: string = helpText(
  "finetune",
  "Fine-tune a checkpoint (usually a pruned model) on CIFAR-10 with lambda 0; same outputs as train.",
  SPECS,
);

/** Runs `finetune` with command-line arguments. */
export async function finetuneCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<TrainingResult | undefined> {
  const values = parseCommand(args, SPECS, "finetune", FINETUNE_HELP);
  if (!values) return undefined;
  const setup = trainingSetup(values);
  const checkpoint = requiredString(values, "checkpoint");
  const cfg = await checkpointCfg(checkpoint);
  const { backend, data } = await prepareRun(setup, log);
  const config = runConfig(
    setup,
    { command: "finetune", cfg, width: 1, lambda: 0, checkpoint },
    backend,
    data,
  );
  log(
    `fine-tuning ${checkpoint}: cfg ${JSON.stringify(cfg)}, ${setup.epochs} epochs -> ${setup.out}`,
  );
  const result = await runTraining({
    out: setup.out,
    config,
    data,
    resume: setup.resume,
    initial: async () => (await loadModel(checkpoint)).params,
    progress: createProgressPrinter({ quiet: setup.quiet }),
  });
  disposeState({ params: result.params, buffers: null });
  return result;
}
