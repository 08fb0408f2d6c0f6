/**
 * `deno task report --runs <dir> [--out <dir>]`: writes `<out>/report.pdf` and
 * `<out>/figures/*.svg`. A user error prints `error: <message>` and exits with its code
 * (2 for bad options or a bad runs folder); anything else is a bug and keeps its trace.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError, userErrorExit } from "@slimming/tensor-utils/core";
import { renderReport } from "./render_report.ts";

/** The `--help` text. */
export const HELP = `Usage: deno task report --runs <dir> [--out <dir>]

Renders the Network Slimming lab report from a runs folder written by \`deno task lab\`.

Options:
  --runs <dir>   lab folder holding lab.json and one folder per stage (required)
  --out <dir>    where to write report.pdf and figures/*.svg (default: the --runs folder)
  -h, --help     show this help

Stages that have not run are shown as "not run"; the report can be re-rendered at any time.`;

/** Parsed command line. */
export interface ReportArgs {
  readonly help: boolean;
  readonly runsDir?: string;
  readonly outDir?: string;
}

/** Parses the command line; unknown options or stray arguments are a `UsageError`. */
export function parseReportArgs(args: string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        runs: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error} (see --help)`);
  }
  const { runs, out, help } = parsed.values;
  if (!help && !runs) throw new UsageError("missing --runs <dir> (see --help)");
  return { help: help ?? false, runsDir: runs, outDir: out };
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const parsed = parseReportArgs(args);
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    const { pdfPath, svgPaths } = await renderReport({
      runsDir: parsed.runsDir!,
      outDir: parsed.outDir,
    });
    console.log(`wrote ${pdfPath} and ${svgPaths.length} figures`);
    return 0;
  } catch (error) {
    return userErrorExit(error);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
