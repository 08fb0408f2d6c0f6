/**
 * `deno task report --runs <dir> [--out <dir>]`: writes `<out>/report.pdf` and
 * `<out>/figures/*.svg`. A user error prints `error: <message>` and exits with its code
 * (2 for bad options, a bad runs folder or an unusable output folder); anything else is a bug
 * and keeps its trace. The output folder is checked and locked (like the CLI's run folders)
 * before the report is built.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  helpText,
  lockDir,
  type OptionSpecs,
  prepareOutDir,
  staleLockNote,
  UsageError,
  userErrorExit,
} from "@slimming/tensor-utils/core";
import { readLabInfo } from "./load_lab.ts";
import { renderReport } from "./render_report.ts";

const SPECS: OptionSpecs = {
  runs: {
    type: "string",
    value: "DIR",
    help: "lab folder holding lab.json and one folder per stage (required)",
  },
  out: {
    type: "string",
    value: "DIR",
    help: "where to write report.pdf and figures/*.svg (default: the --runs folder)",
  },
  json: { type: "boolean", help: "print a machine-readable summary object on stdout when done" },
};

/** The `--help` text (the CLI's help format, shared through tensor-utils/core). */
export const HELP: string = helpText(
  "report",
  "Render the Network Slimming lab report from a runs folder written by `deno task lab`.\n" +
    'Stages that have not run are shown as "not run"; the report can be re-rendered at any time.',
  SPECS,
);

/** Parsed command line. */
export interface ReportArgs {
  readonly help: boolean;
  readonly runsDir?: string;
  readonly outDir?: string;
  readonly json: boolean;
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
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`report: ${message.replace(/\. To specify.*$/, "")} (see --help)`);
  }
  const { runs, out, help, json } = parsed.values;
  if (!help && !runs) throw new UsageError("report: --runs is required (see --help)");
  return { help: help ?? false, runsDir: runs, outDir: out, json: json ?? false };
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const parsed = parseReportArgs(args);
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    const started = performance.now();
    const runsDir = parsed.runsDir!;
    await readLabInfo(runsDir); // a missing or foreign runs folder fails before anything is written
    const outDir = parsed.outDir ?? runsDir;
    prepareOutDir(outDir, parsed.outDir ? "--out" : "--runs");
    const lock = lockDir(outDir, "report");
    try {
      const stale = staleLockNote(outDir, lock);
      if (stale) console.error(stale);
      const { pdfPath, htmlPath, svgPaths } = await renderReport({ runsDir, outDir });
      const seconds = (performance.now() - started) / 1000;
      if (parsed.json) {
        const files = { report: pdfPath, page: htmlPath, figures: svgPaths };
        console.log(
          JSON.stringify(
            { command: "report", runs: runsDir, out: outDir, seconds, files },
            null,
            2,
          ),
        );
      } else {
        console.log(
          `wrote ${pdfPath}, ${htmlPath} and ${svgPaths.length} figures in ${seconds.toFixed(1)} s`,
        );
      }
    } finally {
      lock.release();
    }
    return 0;
  } catch (error) {
    return userErrorExit(error);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
