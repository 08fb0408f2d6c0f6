/**
 * The `slimming` command line: `train`, `finetune`, `prune`, `sweep`, `eval`, `lab`, `bench`, `export`.
 * Errors a user can cause print one `error:` line and exit 2 (3 for divergence); anything
 * else is a bug and keeps its stack trace.
 *
 * @module
 */
import { disposeBackends, quietTfjs } from "@slimming/kernels";
import { userErrorExit } from "@slimming/tensor-utils/core";
import { trainCommand } from "./commands/train.ts";
import { finetuneCommand } from "./commands/finetune.ts";
import { pruneCommand } from "./commands/prune.ts";
import { evalCommand } from "./commands/eval.ts";
import { labCommand } from "./commands/lab.ts";
import { benchCommand } from "./commands/bench.ts";
import { exportCommand } from "./commands/export.ts";
import { sweepCommand } from "./commands/sweep.ts";

const COMMANDS: Record<
  string,
  (args: readonly string[], log: (line: string) => void) => Promise<unknown>
> = {
  train: trainCommand.run,
  finetune: finetuneCommand.run,
  prune: pruneCommand.run,
  sweep: sweepCommand.run,
  eval: evalCommand.run,
  lab: labCommand.run,
  bench: benchCommand.run,
  export: exportCommand.run,
};

const USAGE = `usage: deno task <command> [options]    (each command has --help)

commands:
  train      sparsity training of a VGG-BN on CIFAR-10
  prune      prune a checkpoint's channels by its BN scaling factors
  sweep      prune a checkpoint at many ratios: accuracy, size and speed at each
  finetune   fine-tune a (pruned) checkpoint
  eval       test accuracy, size and speed of a checkpoint
  lab        the whole Network Slimming lab and its PDF report
  bench      training and inference speed against PyTorch
  export     a checkpoint as a TensorFlow.js or ONNX model`;

/** Runs one command; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(
      name && name !== "--help" ? `error: unknown command "${name}"\n\n${USAGE}` : USAGE,
    );
    return name && name !== "--help" ? 2 : 0;
  }
  const log = (line: string) => console.error(line);
  // tfjs prints a "you are running in Node.js" banner and other notices to the console; a CLI
  // whose output is a progress line and tables cannot have them.
  quietTfjs();
  try {
    await command(args, log);
    return 0;
  } catch (error) {
    return userErrorExit(error);
  } finally {
    disposeBackends();
  }
}

if (import.meta.main) {
  // Kernel worker threads keep the process alive: always exit explicitly.
  Deno.exit(await main(Deno.args));
}
