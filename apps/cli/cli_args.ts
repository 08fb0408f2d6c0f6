/**
 * Command-line parsing on Deno's built-in `node:util` parseArgs (JSR's @std/cli is not
 * reachable here), with typed, validated values: a bad value is a one-line UsageError.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "@slimming/tensor-utils";
import { helpText as coreHelp, type OptionSpecs } from "@slimming/tensor-utils/core";

export type { OptionSpec, OptionSpecs } from "@slimming/tensor-utils/core";

/** Parsed values: strings, booleans, or undefined. */
export type ParsedOptions = Record<string, string | boolean | undefined>;

/** Parses `args` against `specs`; unknown options and stray arguments are UsageErrors. */
export function parseOptions(
  args: readonly string[],
  specs: OptionSpecs,
  command: string,
): ParsedOptions {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type };
  options.help = { type: "boolean" };
  // "--lambda -1": parseArgs would take "-1" for an option; a negative number is a value.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : "";
    if (specs[name]?.type === "string" && /^-\d|^-\.\d|^-(inf|nan)/i.test(args[i + 1] ?? "")) {
      joined.push(`${args[i]}=${args[++i]}`);
    } else joined.push(args[i]);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joined, options, strict: true, allowPositionals: false });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`${command}: ${message.replace(/\. To specify.*$/, "")} (see --help)`);
  }
  const values: ParsedOptions = { ...parsed.values } as ParsedOptions;
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
  }
  return values;
}

/**
 * {@linkcode parseOptions} for a command: with `--help` it prints `help` and returns undefined
 * (the command then does nothing).
 */
export function parseCommand(
  args: readonly string[],
  specs: OptionSpecs,
  command: string,
  help: string,
): ParsedOptions | undefined {
  const values = parseOptions(args, specs, command);
  if (!values.help) return values;
  console.log(help);
  return undefined;
}

/** A command of the CLI: its help text and what it runs. */
export interface Command<T> {
  readonly help: string;
  /** Runs the command; resolves with undefined after `--help` (which runs nothing). */
  run(args: readonly string[], log: (line: string) => void): Promise<T | undefined>;
}

/**
 * A command named `name`: its help is built from `summary` and `specs`; `run` parses the
 * arguments ({@linkcode parseCommand}) and hands the options to `body`.
 */
export function defineCommand<T>(
  name: string,
  summary: string,
  specs: OptionSpecs,
  body: (values: ParsedOptions, log: (line: string) => void) => Promise<T>,
): Command<T> {
  const help = helpText(name, summary, specs);
  return {
    help,
    run: async (args, log) => {
      const values = parseCommand(args, specs, name, help);
      return values ? await body(values, log) : undefined;
    },
  };
}

/** The help text of a command (the format both apps share). */
export const helpText: (command: string, summary: string, specs: OptionSpecs) => string = coreHelp;

/** A number option; `check` names the constraint in the error. */
export function numberOption(
  values: ParsedOptions,
  name: string,
  check: {
    min?: number;
    max?: number;
    integer?: boolean;
    minExclusive?: boolean;
    maxExclusive?: boolean;
  } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  const describe = () => {
    const kind = check.integer ? "an integer" : "a number";
    if (check.min !== undefined && check.max !== undefined) {
      return `${kind} in ${check.minExclusive ? "(" : "["}${check.min}, ${check.max}${
        check.maxExclusive ? ")" : "]"
      }`;
    }
    if (check.min !== undefined) return `${kind} ${check.minExclusive ? ">" : ">="} ${check.min}`;
    if (check.max !== undefined) return `${kind} ${check.maxExclusive ? "<" : "<="} ${check.max}`;
    return kind;
  };
  const bad = text === "" || !Number.isFinite(value) ||
    (check.integer && !Number.isSafeInteger(value)) ||
    (check.min !== undefined && (check.minExclusive ? value <= check.min : value < check.min)) ||
    (check.max !== undefined && (check.maxExclusive ? value >= check.max : value > check.max));
  if (bad) throw new UsageError(`--${name} must be ${describe()}, got "${raw}"`);
  return value;
}

/** A required number option. */
export function requiredNumber(
  values: ParsedOptions,
  name: string,
  check: Parameters<typeof numberOption>[2] = {},
): number {
  const value = numberOption(values, name, check);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** A string option, or undefined. */
export function stringOption(values: ParsedOptions, name: string): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.trim() === "") throw new UsageError(`--${name} needs a value`);
  return raw;
}

/** An option taking `true` or `false`, or undefined when absent. */
export function booleanOption(values: ParsedOptions, name: string): boolean | undefined {
  const text = stringOption(values, name);
  if (text === undefined || text === "true" || text === "false") {
    return text === undefined ? undefined : text === "true";
  }
  throw new UsageError(`--${name} must be true or false, got "${text}"`);
}

/** A required string option. */
export function requiredString(values: ParsedOptions, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** The pruning ratio: a number in [0, 1). */
export function ratioOption(values: ParsedOptions, name = "ratio"): number {
  return requiredNumber(values, name, { min: 0, max: 1, maxExclusive: true });
}
