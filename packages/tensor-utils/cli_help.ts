/**
 * One help style for every command of both apps (the CLI and the report): a usage line, the
 * summary, then one aligned row per option with its value name and default.
 *
 * @module
 */

/** One option: its type, default and help line. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly help: string;
  readonly default?: string | boolean;
  /** Shown in the help as the value's name, e.g. N or FILE. */
  readonly value?: string;
}

/** Options by name (kebab-case, as typed). */
export type OptionSpecs = Record<string, OptionSpec>;

/** The help text of `deno task <command>`. */
export function helpText(command: string, summary: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = spec.type === "boolean" ? `--${name}` : `--${name} ${spec.value ?? "VALUE"}`;
    const dflt = spec.default !== undefined && spec.type !== "boolean"
      ? ` (default ${spec.default})`
      : "";
    return [flag, spec.help + dflt] as const;
  });
  const width = Math.max("--help".length, ...rows.map(([f]) => f.length)) + 2;
  return [
    `usage: deno task ${command} [options]`,
    "",
    summary,
    "",
    "options:",
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    `  ${"--help".padEnd(width)}show this help`,
  ].join("\n");
}
