/**
 * Running the CLI as a user would (a `deno run` subprocess) on a small synthetic data set.
 *
 * @module
 */
import { type CifarSpec, writeSyntheticArchive } from "@slimming/cifar";
import { sha256Hex } from "@slimming/tensor-utils";

/** The CLI entry point. */
export const CLI_MAIN: string = new URL("../apps/cli/main.ts", import.meta.url).pathname;

/** A tiny cfg that trains in seconds (4 pools for 32x32 inputs). */
export const TINY_CFG = "8,M,16,M,16,M,32,M,32";

/** Output of one CLI run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deno run -A apps/cli/main.ts <args>` and collects its output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI_MAIN, ...args],
    env: { CIFAR10_PATH: "", CIFAR100_PATH: "", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/**
 * Writes a synthetic archive (learnable classes) in the official format of `spec` (default
 * CIFAR-10) into `dir`; returns its path.
 */
export async function syntheticArchive(
  dir: string,
  trainPerClass = 40,
  testPerClass = 10,
  spec?: CifarSpec,
): Promise<string> {
  const path = `${dir}/${spec ? `${spec.name}-` : ""}synthetic.tar.gz`;
  await writeSyntheticArchive(path, { trainPerClass, testPerClass, seed: 3, spec });
  return path;
}

/** SHA-256 of a file, hex. */
export async function fileHash(path: string): Promise<string> {
  return sha256Hex(await Deno.readFile(path));
}
