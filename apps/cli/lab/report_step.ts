/**
 * The lab's last step: the report app renders `<out>/report.pdf`. It runs as its own
 * process (`deno run -A apps/report/main.ts --runs <out>`), so the CLI does not import the
 * report app (neither app imports the other) and the report loads no tfjs.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { DataError } from "@slimming/tensor-utils/core";
import { LAB_FILES } from "@slimming/run-format";

const REPORT_MAIN = fileURLToPath(new URL("../../report/main.ts", import.meta.url));
const WORKSPACE_CONFIG = fileURLToPath(new URL("../../../deno.json", import.meta.url));

/**
 * Renders the report of the lab in `out`; resolves with the PDF's path. The report's own
 * lines go to `log`. A user error of the report (a bad runs folder, an unwritable output)
 * becomes a DataError with its one-line message, as if the lab had met it; any other failure
 * is a bug and keeps the report's output in the error.
 */
export async function renderLabReport(out: string, log: (line: string) => void): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", WORKSPACE_CONFIG, REPORT_MAIN, "--runs", out],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const errors = decoder.decode(stderr).trim();
  for (const line of decoder.decode(stdout).split("\n")) if (line.trim()) log(line);
  if (code === 0) return `${out}/${LAB_FILES.report}`;
  const userError = errors.split("\n").find((line) => line.startsWith("error: "));
  if (code === 2 && userError) throw new DataError(userError.slice("error: ".length));
  throw new Error(`the report failed (exit code ${code}):\n${errors}`);
}
