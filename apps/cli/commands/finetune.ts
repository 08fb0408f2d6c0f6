/**
 * `deno task finetune`: trains a (pruned) checkpoint further without the sparsity term.
 *
 * @module
 */
import {
  type Command,
  defineCommand,
  type OptionSpecs,
  requiredNumber,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { disposeTree } from "@slimming/tensor-utils";
import { checkpointSpec, describeSpec, loadModel, type TrainingResult } from "@slimming/train";
import { checkCheckpointDataset } from "../dataset_guard.ts";
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
  teacher: {
    type: "string",
    value: "FILE",
    help: "distil from this model (e.g. the unpruned one), eval mode, same augmented batches",
  },
  "kd-weight": {
    type: "string",
    value: "A",
    help: "with --teacher: loss = A·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−A)·CE",
    default: "0.9",
  },
  "kd-temperature": {
    type: "string",
    value: "T",
    help: "with --teacher: the softmax temperature",
    default: "4",
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
    const teacher = stringOption(values, "teacher");
    const kdWeight = requiredNumber(values, "kd-weight", { min: 0, max: 1 });
    const kdTemperature = requiredNumber(values, "kd-temperature", {
      min: 0,
      minExclusive: true,
    });
    if (teacher !== undefined) {
      await checkpointSpec(teacher);
      await checkCheckpointDataset(teacher, setup.dataset);
    }
    const distill = teacher === undefined ? undefined : { teacher, kdWeight, kdTemperature };
    const run = { ...setup, command: "finetune" as const, json: values.json === true };
    return await trainingCommand(run, log, async () => {
      const { backend, data } = await prepareRun(setup, log);
      const config = runConfig(
        setup,
        { command: "finetune", spec, depth: spec.depth, width: 1, lambda: 0, checkpoint, distill },
        backend,
        data,
      );
      log(
        `fine-tuning ${checkpoint}: ${describeSpec(spec)}, ${setup.epochs} epochs -> ${setup.out}` +
          (distill ? ` (distilled from ${teacher}, α ${kdWeight}, T ${kdTemperature})` : ""),
      );
      const teacherModel = distill ? (await loadModel(distill.teacher)).params : undefined;
      try {
        return await trainFromSetup(
          setup,
          config,
          data,
          async () => (await loadModel(checkpoint)).params,
          teacherModel,
        );
      } finally {
        if (teacherModel) disposeTree(teacherModel);
      }
    });
  },
);
