/**
 * `deno task train`: sparsity training of a VGG-BN on CIFAR-10 or CIFAR-100 (loss + lambda *
 * sum|gamma|); the head gets the data set's class count.
 *
 * @module
 */
import { cfgForDepth, initVgg, parseCfg, scaleCfg, validateCfg, VGG_DEPTHS } from "@slimming/vgg";
import { UsageError } from "@slimming/tensor-utils";
import {
  type Command,
  defineCommand,
  numberOption,
  type OptionSpecs,
  requiredNumber,
  stringOption,
} from "../cli_args.ts";
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
  depth: { type: "string", value: "N", help: "VGG depth: 11, 13, 16 or 19", default: "19" },
  width: {
    type: "string",
    value: "X",
    help: "multiply every channel count by X (e.g. 0.25)",
    default: "1",
  },
  cfg: {
    type: "string",
    value: "LIST",
    help: "explicit cfg instead of --depth, e.g. 64,M,128,M,256,M,512,M,512",
  },
  lambda: {
    type: "string",
    value: "X",
    help: "sparsity coefficient on |gamma| (the paper's lambda)",
    default: "1e-4",
  },
  ...TRAINING_OPTIONS,
};

/** Runs `train` with command-line arguments; resolves with the training result. */
export const trainCommand: Command<TrainingResult> = defineCommand(
  "train",
  "Train a VGG with batch norm on CIFAR-10 (or --dataset cifar100) with Network Slimming's L1 penalty\n" +
    "on the BN scaling factors.",
  SPECS,
  async (values, log) => {
    const setup = trainingSetup(values);
    const lambda = requiredNumber(values, "lambda", { min: 0 });
    const width = requiredNumber(values, "width", { min: 0, minExclusive: true });
    const cfgText = stringOption(values, "cfg");
    const depth = cfgText ? undefined : numberOption(values, "depth", { integer: true });
    if (depth !== undefined && !VGG_DEPTHS.includes(depth)) {
      throw new UsageError(`--depth must be one of ${VGG_DEPTHS.join(", ")}, got ${depth}`);
    }
    const cfg = [
      ...validateCfg(scaleCfg(cfgText ? parseCfg(cfgText) : cfgForDepth(depth ?? 19), width)),
    ];
    const run = { ...setup, command: "train" as const, json: values.json === true };
    return await trainingCommand(run, log, async () => {
      const { backend, data } = await prepareRun(setup, log);
      const config = runConfig(
        setup,
        { command: "train", cfg, depth, width, lambda },
        backend,
        data,
      );
      log(
        `model: VGG cfg ${
          JSON.stringify(cfg)
        }, lambda ${lambda}, ${setup.epochs} epochs -> ${setup.out}`,
      );
      const numClasses = data.spec.classCount;
      return await trainFromSetup(
        setup,
        config,
        data,
        () => initVgg({ cfg, seed: setup.seed, numClasses }),
      );
    });
  },
);
