/**
 * `deno task eval`: test accuracy, loss, size and measured inference speed of a checkpoint,
 * as one JSON object on stdout.
 *
 * @module
 */
import { disposeTree } from "@slimming/tensor-utils";
import { architectureOf } from "@slimming/architectures";
import {
  type Command,
  defineCommand,
  numberOption,
  type OptionSpecs,
  requiredString,
} from "../cli_args.ts";
import { evaluate, inferenceSpeed } from "@slimming/train";
import { JSON_OPTION, nanLossWarning } from "../closing.ts";
import { EVALUATION_OPTIONS, loadForEvaluation } from "./evaluation_inputs.ts";

const SPECS: OptionSpecs = {
  checkpoint: { type: "string", value: "FILE", help: "model to evaluate (required)" },
  "batch-size": {
    type: "string",
    value: "N",
    help: "inference batch size for the speed measurement",
    default: "256",
  },
  ...EVALUATION_OPTIONS,
  json: { ...JSON_OPTION, help: "accepted for symmetry: eval always prints its result object" },
};

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
export const evalCommand: Command<EvalOutput> = defineCommand(
  "eval",
  "Evaluate a checkpoint on the --dataset's test set; prints { testAcc, testLoss, params, flops, imagesPerSecond }.",
  SPECS,
  async (values, log) => {
    const checkpoint = requiredString(values, "checkpoint");
    const batchSize = numberOption(values, "batch-size", { integer: true, min: 1 }) ?? 256;
    const { backend, params, data } = await loadForEvaluation(values, checkpoint, 1, log);
    const result = await evaluate(params, data.test);
    const arch = architectureOf(params);
    const classes = data.spec.classCount; // the head's, as loadForEvaluation checked
    if (!Number.isFinite(result.loss)) log(nanLossWarning(checkpoint, result.loss));
    const output: EvalOutput = {
      checkpoint,
      testAcc: result.accuracy,
      testLoss: result.loss,
      params: arch.countParams(arch.specOf(params), classes),
      flops: arch.countFlops(arch.specOf(params), classes),
      imagesPerSecond: await inferenceSpeed(params, batchSize),
      backend: backend.name,
    };
    disposeTree(params);
    log(
      `eval: ${checkpoint}: test accuracy ${output.testAcc.toFixed(2)}% (loss ${
        output.testLoss.toFixed(4)
      }) on ${data.test.count} images; ${output.params} parameters, ${output.flops} FLOPs, ` +
        `${output.imagesPerSecond.toFixed(0)} img/s (${backend.name})`,
    );
    console.log(JSON.stringify(output, null, 2));
    return output;
  },
);
