/**
 * `deno task prune`: Network Slimming's channel pruning of a trained checkpoint, with the
 * accuracy of the masked and of the physically smaller model, their sizes and speeds.
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import type { BackendInfo } from "@slimming/kernels";
import { UsageError } from "@slimming/tensor-utils/core";
import type { PruneSummary } from "@slimming/run-format";
import {
  booleanOption,
  type Command,
  defineCommand,
  type OptionSpecs,
  parseOptions,
  ratioOption,
  requiredNumber,
  requiredString,
} from "../cli_args.ts";
import type { LoadedData } from "../dataset.ts";
import { type MultiPassSetting, pruneModel } from "../prune_model.ts";
import { archInfo, architectureOf, DEFAULT_ARCH } from "@slimming/architectures";
import { pruneTable } from "../prune_table.ts";
import { createProgressPrinter, runTraining } from "@slimming/train";
import {
  DEFAULT_MIN_CHANNELS,
  JSON_OPTION,
  printClosing,
  pruneClosing,
  shortPruneWarning,
} from "../closing.ts";
import { withFolder } from "../run_folder.ts";
import { EVALUATION_OPTIONS, loadForEvaluation } from "./evaluation_inputs.ts";
import { runConfig, TRAINING_OPTIONS, trainingSetup } from "./training_options.ts";

const SPECS: OptionSpecs = {
  ratio: {
    type: "string",
    value: "R",
    help: "fraction of all BN channels to prune, in [0, 1) (required)",
  },
  checkpoint: { type: "string", value: "FILE", help: "trained model (required)" },
  out: {
    type: "string",
    value: "DIR",
    help: "output folder for pruned.safetensors and prune.json (required)",
  },
  "min-channels": {
    type: "string",
    value: "N",
    help: "fewest channels any layer keeps (the reference has no guard and fails on an emptied " +
      "layer; fewer than 3 leaves a bottleneck no fine-tune repairs)",
    default: String(DEFAULT_MIN_CHANNELS),
  },
  "round-to": {
    type: "string",
    value: "N",
    help: "round each layer's kept channels up to a multiple of N (next-largest |gamma|)",
    default: "1",
  },
  recalibrate: {
    type: "string",
    value: "N",
    help: "re-estimate BN statistics on N training images; writes recalibrated.safetensors too",
    default: "0",
  },
  "recalibrate-augment": {
    type: "string",
    value: "true|false",
    help: "augment the recalibration images as in training (pad-4 crop, flip)",
    default: "true",
  },
  passes: {
    type: "string",
    value: "N",
    help: "multi-pass pruning: prune, fine-tune, repeat N times",
    default: "1",
  },
  "max-layer-ratio": {
    type: "string",
    value: "R",
    help: "multi-pass: most of a layer one pass may remove",
    default: "0.5",
  },
  "pass-epochs": {
    type: "string",
    value: "N",
    help: "multi-pass: fine-tune epochs between passes",
    default: "10",
  },
  ...EVALUATION_OPTIONS,
  seed: {
    ...TRAINING_OPTIONS.seed,
    help: "seed of the --test-subset and recalibration images and the multi-pass fine-tunes' " +
      "data order",
  },
  json: JSON_OPTION,
};

export { pruneTable } from "../prune_table.ts";

/** The fine-tuning between the passes of a multi-pass prune: `<out>/pass-<n>` run folders. */
function passFineTune(run: {
  out: string;
  passes: number;
  passEpochs: number;
  seed: number;
  backend: BackendInfo;
  data: LoadedData;
  log: (line: string) => void;
}): MultiPassSetting["fineTune"] {
  const { backend, data } = run;
  return async (model, pass) => {
    run.log(`pass ${pass + 1}/${run.passes}: fine-tuning ${run.passEpochs} epochs`);
    const setup = trainingSetup(
      parseOptions(
        [
          "--out",
          `${run.out}/pass-${pass + 1}`,
          "--epochs",
          String(run.passEpochs),
          "--seed",
          String(run.seed),
        ],
        TRAINING_OPTIONS,
        "prune",
      ),
    );
    const config = runConfig(
      setup,
      { command: "finetune", spec: architectureOf(model).specOf(model), width: 1, lambda: 0 },
      backend,
      data,
    );
    const progress = createProgressPrinter();
    const result = await runTraining({
      out: setup.out,
      config,
      data,
      resume: true,
      initial: () => model,
      progress,
    });
    return result.params;
  };
}

/** Runs `prune` with command-line arguments; resolves with the summary written. */
export const pruneCommand: Command<PruneSummary> = defineCommand(
  "prune",
  `Prune the channels with the smallest |gamma| (one global threshold, like the reference ${
    archInfo(DEFAULT_ARCH).referenceScript
  }),\n` +
    "build the smaller network and report accuracy, parameters, FLOPs and speed before and after.",
  SPECS,
  async (values, log) => {
    const ratio = ratioOption(values);
    const checkpoint = requiredString(values, "checkpoint");
    const out = requiredString(values, "out");
    const minChannels = requiredNumber(values, "min-channels", { integer: true, min: 1 });
    const passes = requiredNumber(values, "passes", { integer: true, min: 1 });
    const roundTo = requiredNumber(values, "round-to", { integer: true, min: 1 });
    if (roundTo > 1 && passes > 1) throw new UsageError("--round-to works with one pass only");
    const recalibrate = requiredNumber(values, "recalibrate", { integer: true, min: 0 });
    const recalibrateAugment = booleanOption(values, "recalibrate-augment") ?? true;
    const maxLayerRatio = requiredNumber(values, "max-layer-ratio", {
      min: 0,
      max: 1,
      minExclusive: true,
    });
    const passEpochs = requiredNumber(values, "pass-epochs", { integer: true, min: 1 });
    const seed = requiredNumber(values, "seed", { integer: true, min: 0 });
    const json = values.json === true;
    const started = performance.now();
    const onInterrupt = passes > 1
      ? `rerun the same command to continue (finished passes' fine-tunes in ${out}/pass-N resume)`
      : "nothing was written; rerun the same command";
    return await withFolder(out, { command: "prune", onInterrupt }, log, async () => {
      const { backend, params, data } = await loadForEvaluation(values, checkpoint, seed, log);
      log(`backend: ${backend.name}; data: ${data.source} (${data.test.count} test images)`);
      const summary = await pruneModel(params, {
        ratio,
        minChannels,
        roundTo,
        recalibrate,
        recalibrateAugment,
        seed,
        multiPass: passes === 1 ? undefined : {
          passes,
          maxLayerRatio,
          fineTune: passFineTune({ out, passes, passEpochs, seed, backend, data, log }),
        },
        checkpoint,
        out,
        data,
        warn: log,
      });
      disposeTree(params);
      // The table stays on stdout unless --json asks for the JSON object there instead.
      (json ? log : console.log)(pruneTable(summary));
      const warning = shortPruneWarning(summary);
      if (warning) log(warning);
      const { lines, object } = pruneClosing(summary, out, (performance.now() - started) / 1000);
      printClosing(log, lines, object, json);
      return summary;
    });
  },
);
