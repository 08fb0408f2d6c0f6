/**
 * `deno task prune`: Network Slimming's channel pruning of a trained checkpoint, with the
 * accuracy of the masked and of the physically smaller model, their sizes and speeds.
 *
 * @module
 */
import { disposeTree, writeJsonAtomic } from "@slimming/tensor-utils";
import {
  absGammasAsync,
  maskParams,
  multiPassPrune,
  pruneFromAbsGammas,
  type PruneReport,
} from "@slimming/slimming";
import type { VggParams } from "@slimming/vgg";
import {
  helpText,
  type OptionSpecs,
  parseCommand,
  parseOptions,
  ratioOption,
  requiredNumber,
  requiredString,
} from "../cli_args.ts";
import { saveModel } from "../checkpoint.ts";
import type { LoadedData } from "../dataset.ts";
import { evaluate, inferenceSpeed } from "../evaluate.ts";
import type { PruneSummary } from "../run_format.ts";
import { createProgressPrinter } from "../progress.ts";
import { runTraining } from "../training.ts";
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
    help: "fewest channels any layer keeps",
    default: "1",
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
  seed: TRAINING_OPTIONS.seed,
};

/** Help of `prune`. */
export const PRUNE_HELP: string = helpText(
  "prune",
  "Prune the channels with the smallest |gamma| (one global threshold, like the reference vggprune.py),\n" +
    "build the smaller network and report accuracy, parameters, FLOPs and speed before and after.",
  SPECS,
);

function formatCount(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)}G`
    : n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
    ? `${(n / 1e3).toFixed(1)}k`
    : `${n}`;
}

/** The table `prune` prints. */
export function pruneTable(summary: PruneSummary): string {
  const lines = [
    `ratio ${summary.ratio}  threshold |gamma| > ${
      summary.threshold.toPrecision(4)
    }  min channels ${summary.minChannels}`,
    "",
    "layer  before  kept  ",
    ...summary.channelsBefore.map((before, i) =>
      `${String(i + 1).padStart(5)}  ${String(before).padStart(6)}  ${
        String(summary.kept[i]).padStart(4)
      }  ${
        summary.guardedLayers.includes(i) ? "guarded (threshold kept fewer than min channels)" : ""
      }`
    ),
    "",
    `                 before        after`,
    `params      ${formatCount(summary.paramsBefore).padStart(10)}   ${
      formatCount(summary.paramsAfter).padStart(10)
    }   (${(100 * (1 - summary.paramsAfter / summary.paramsBefore)).toFixed(1)}% fewer)`,
    `FLOPs       ${formatCount(summary.flopsBefore).padStart(10)}   ${
      formatCount(summary.flopsAfter).padStart(10)
    }   (${(100 * (1 - summary.flopsAfter / summary.flopsBefore)).toFixed(1)}% fewer)`,
    `images/s    ${summary.imagesPerSecondBefore.toFixed(0).padStart(10)}   ${
      summary.imagesPerSecondAfter.toFixed(0).padStart(10)
    }   (x${(summary.imagesPerSecondAfter / summary.imagesPerSecondBefore).toFixed(2)})`,
    "",
    `test accuracy: full ${summary.testAccBefore.toFixed(2)}%  masked ${
      summary.maskedTestAcc.toFixed(2)
    }%  slim ${summary.slimTestAcc.toFixed(2)}%`,
  ];
  return lines.join("\n");
}

/** Runs `prune` with command-line arguments; resolves with the summary written. */
export async function pruneCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<PruneSummary | undefined> {
  const values = parseCommand(args, SPECS, "prune", PRUNE_HELP);
  if (!values) return undefined;
  const ratio = ratioOption(values);
  const checkpoint = requiredString(values, "checkpoint");
  const out = requiredString(values, "out");
  const minChannels = requiredNumber(values, "min-channels", { integer: true, min: 1 });
  const passes = requiredNumber(values, "passes", { integer: true, min: 1 });
  const maxLayerRatio = requiredNumber(values, "max-layer-ratio", {
    min: 0,
    max: 1,
    minExclusive: true,
  });
  const passEpochs = requiredNumber(values, "pass-epochs", { integer: true, min: 1 });
  const seed = requiredNumber(values, "seed", { integer: true, min: 0 });
  const { backend, params, data } = await loadForEvaluation(values, checkpoint, seed, log);
  log(`backend: ${backend.name}; data: ${data.source} (${data.test.count} test images)`);
  const passSetup = (pass: number) =>
    trainingSetup(
      parseOptions(
        [
          "--out",
          `${out}/pass-${pass + 1}`,
          "--epochs",
          String(passEpochs),
          "--seed",
          String(seed),
        ],
        TRAINING_OPTIONS,
        "prune",
      ),
    );
  const summary = await pruneModel(params, {
    ratio,
    minChannels,
    multiPass: passes === 1 ? undefined : {
      passes,
      maxLayerRatio,
      fineTune: async (model, pass) => {
        log(`pass ${pass + 1}/${passes}: fine-tuning ${passEpochs} epochs`);
        const setup = passSetup(pass);
        const result = await runTraining({
          out: setup.out,
          config: runConfig(
            setup,
            { command: "finetune", cfg: [...model.cfg], width: 1, lambda: 0 },
            backend,
            data,
          ),
          data,
          resume: true,
          initial: () => model,
          progress: createProgressPrinter(),
        });
        return result.params;
      },
    },
    checkpoint,
    out,
    data,
  });
  disposeTree(params);
  console.log(pruneTable(summary));
  return summary;
}

/** Options of {@linkcode pruneModel}. */
export interface PruneModelOptions {
  readonly ratio: number;
  readonly minChannels: number;
  /** Multi-pass pruning (the paper's Table 4): passes, per-pass layer cap, and the fine-tuning between passes. */
  readonly multiPass?: {
    readonly passes: number;
    readonly maxLayerRatio: number;
    readonly fineTune: (model: VggParams, pass: number) => Promise<VggParams>;
  };
  readonly checkpoint: string;
  readonly out: string;
  readonly data: LoadedData;
}

/**
 * Prunes `params` (not modified), evaluates full, masked and slim models, measures their speed,
 * and writes `out/pruned.safetensors` and `out/prune.json`.
 */
export async function pruneModel(
  params: VggParams,
  options: PruneModelOptions,
): Promise<PruneSummary> {
  const { data } = options;
  const before = await evaluate(params, data.test);
  let slim: VggParams;
  let report: PruneReport;
  let maskedAcc: number;
  if (!options.multiPass) {
    // Gammas read asynchronously: webgpu has no synchronous read in Deno.
    const abs = await absGammasAsync(params);
    const result = pruneFromAbsGammas(params, abs, options.ratio, {
      minChannels: options.minChannels,
    });
    const masked = maskParams(params, result.masks);
    maskedAcc = (await evaluate(masked, data.test)).accuracy;
    disposeTree(masked);
    slim = result.params;
    report = result.report;
  } else {
    const { passes, maxLayerRatio, fineTune } = options.multiPass;
    const multi = await multiPassPrune(params, {
      passes,
      ratio: options.ratio,
      maxLayerRatio,
      minChannels: options.minChannels,
      fineTune: (model, pass) => (pass === passes - 1 ? model : fineTune(model, pass)),
    });
    slim = multi.params;
    const first = multi.reports[0];
    report = {
      ...multi.reports[multi.reports.length - 1],
      ratio: options.ratio,
      channelsBefore: first.channelsBefore,
      cfgBefore: first.cfgBefore,
      paramsBefore: first.paramsBefore,
      flopsBefore: first.flopsBefore,
      guardedLayers: [...new Set(multi.reports.flatMap((r) => r.guardedLayers))].sort((a, b) =>
        a - b
      ),
    };
    // The fine-tuned intermediate passes change the weights: no masked model to compare with.
    maskedAcc = NaN;
  }
  const slimAcc = (await evaluate(slim, data.test)).accuracy;
  if (Number.isNaN(maskedAcc)) maskedAcc = slimAcc;
  const speedBefore = await inferenceSpeed(params);
  const speedAfter = await inferenceSpeed(slim);
  const summary: PruneSummary = {
    ratio: options.ratio,
    threshold: report.threshold,
    minChannels: options.minChannels,
    cfgBefore: report.cfgBefore,
    cfg: report.cfg,
    kept: report.kept,
    channelsBefore: report.channelsBefore,
    guardedLayers: report.guardedLayers,
    paramsBefore: report.paramsBefore,
    paramsAfter: report.paramsAfter,
    flopsBefore: report.flopsBefore,
    flopsAfter: report.flopsAfter,
    testAccBefore: before.accuracy,
    maskedTestAcc: maskedAcc,
    slimTestAcc: slimAcc,
    imagesPerSecondBefore: speedBefore,
    imagesPerSecondAfter: speedAfter,
    checkpoint: options.checkpoint,
  };
  await Deno.mkdir(options.out, { recursive: true });
  await saveModel(`${options.out}/pruned.safetensors`, slim, {
    ratio: String(options.ratio),
    source: options.checkpoint,
  });
  await writeJsonAtomic(`${options.out}/prune.json`, summary);
  disposeTree(slim);
  return summary;
}
