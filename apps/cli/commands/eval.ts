/**
 * `deno task eval`: test accuracy, loss, size and measured inference speed of a checkpoint,
 * as one JSON object on stdout.
 *
 * @module
 */
import { disposeTree, useBackend } from "@slimming/tensor-utils";
import { countFlops, countParams } from "@slimming/vgg";
import {
  helpText,
  numberOption,
  type OptionSpecs,
  parseOptions,
  requiredString,
  stringOption,
} from "../cli_args.ts";
import { loadModel } from "../checkpoint.ts";
import { loadData } from "../dataset.ts";
import { evaluate, inferenceSpeed } from "../evaluate.ts";
import { TRAINING_OPTIONS } from "./training_options.ts";

const SPECS: OptionSpecs = {
  checkpoint: { type: "string", value: "FILE", help: "model to evaluate (required)" },
  data: TRAINING_OPTIONS.data,
  "test-subset": TRAINING_OPTIONS["test-subset"],
  "batch-size": {
    type: "string",
    value: "N",
    help: "inference batch size for the speed measurement",
    default: "256",
  },
  backend: TRAINING_OPTIONS.backend,
  threads: TRAINING_OPTIONS.threads,
};

/** Help of `eval`. */
export const EVAL_HELP: string = helpText(
  "eval",
  "Evaluate a checkpoint on the CIFAR-10 test set; prints { testAcc, testLoss, params, flops, imagesPerSecond }.",
  SPECS,
);

/** What `eval` prints. */
export interface EvalOutput {
  readonly checkpoint: string;
  readonly testAcc: number;
  readonly testLoss: number;
  readonly params: number;
  readonly flops: number;
  readonly imagesPerSecond: number;
  readonly backend: string;
}

/** Runs `eval` with command-line arguments. */
export async function evalCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<EvalOutput | undefined> {
  const values = parseOptions(args, SPECS, "eval");
  if (values.help) {
    console.log(EVAL_HELP);
    return undefined;
  }
  const checkpoint = requiredString(values, "checkpoint");
  const batchSize = numberOption(values, "batch-size", { integer: true, min: 1 }) ?? 256;
  const backend = await useBackend(stringOption(values, "backend") ?? "auto", {
    threads: numberOption(values, "threads", { integer: true, min: 1 }),
    log,
  });
  const { params } = await loadModel(checkpoint);
  const data = await loadData({
    data: stringOption(values, "data"),
    testSubset: numberOption(values, "test-subset", { integer: true, min: 10 }),
    seed: 1,
  });
  const result = await evaluate(params, data.test);
  const output: EvalOutput = {
    checkpoint,
    testAcc: result.accuracy,
    testLoss: result.loss,
    params: countParams(params.cfg),
    flops: countFlops(params.cfg),
    imagesPerSecond: await inferenceSpeed(params, batchSize),
    backend: backend.name,
  };
  disposeTree(params);
  console.log(JSON.stringify(output, null, 2));
  return output;
}
