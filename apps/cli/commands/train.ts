/**
 * `deno task train`: sparsity training of a VGG-BN on CIFAR-10 or CIFAR-100 (loss + lambda *
 * sum|gamma|); the head gets the data set's class count.
 *
 * @module
 */
import { UsageError } from "@slimming/tensor-utils";
import {
  archChoices,
  archesWithOption,
  architecture,
  archTitles,
  DEFAULT_ARCH,
  depthChoices,
} from "@slimming/architectures";
import { describeSpec, type TrainingResult } from "@slimming/train";
import {
  type Command,
  defineCommand,
  numberOption,
  type OptionSpecs,
  requiredNumber,
  stringOption,
} from "../cli_args.ts";
import {
  prepareRun,
  runConfig,
  trainFromSetup,
  TRAINING_OPTIONS,
  trainingSetup,
} from "./training_options.ts";
import { trainingCommand } from "./training_run.ts";

const SPECS: OptionSpecs = {
  arch: {
    type: "string",
    value: "NAME",
    help: archChoices({ notes: true }),
    default: DEFAULT_ARCH,
  },
  depth: {
    type: "string",
    value: "N",
    help: `depth: ${depthChoices()}`,
  },
  "growth-rate": { type: "string", value: "N", help: "DenseNet growth rate (default 12)" },
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
  `Train a model (${archTitles()}) with batch norm on CIFAR-10 (or --dataset\n` +
    "cifar100) with Network Slimming's L1 penalty on the BN scaling factors.",
  SPECS,
  async (values, log) => {
    const setup = trainingSetup(values);
    const lambda = requiredNumber(values, "lambda", { min: 0 });
    const width = requiredNumber(values, "width", { min: 0, minExclusive: true });
    const arch = architecture(stringOption(values, "arch") ?? DEFAULT_ARCH);
    const cfgText = stringOption(values, "cfg");
    const parseCfg = arch.options.cfg;
    if (cfgText && !parseCfg) {
      throw new UsageError(
        `--cfg is for --arch ${archesWithOption("cfg")}; use --depth and --width with ${arch.name}`,
      );
    }
    const growthRate = numberOption(values, "growth-rate", { integer: true, min: 1 });
    if (growthRate !== undefined && !arch.options.growthRate) {
      throw new UsageError(`--growth-rate is for --arch ${archesWithOption("growthRate")}`);
    }
    const depth = cfgText
      ? undefined
      : numberOption(values, "depth", { integer: true }) ?? arch.defaultDepth;
    const spec = arch.specFor({
      depth,
      width,
      ...(cfgText && parseCfg ? { cfg: parseCfg(cfgText) } : {}),
      ...(growthRate !== undefined ? { growthRate } : {}),
    });
    const run = { ...setup, command: "train" as const, json: values.json === true };
    return await trainingCommand(run, log, async () => {
      const { backend, data } = await prepareRun(setup, log);
      const config = runConfig(
        setup,
        { command: "train", spec, depth, width, lambda },
        backend,
        data,
      );
      log(`model: ${describeSpec(spec)}, lambda ${lambda}, ${setup.epochs} epochs -> ${setup.out}`);
      return await trainFromSetup(
        setup,
        config,
        data,
        () => arch.init(spec, { seed: setup.seed, numClasses: data.spec.classCount }),
      );
    });
  },
);
