/**
 * A one-line progress display for downloads: rewrites the same stderr line with `\r`,
 * at most four times a second, and ends it with a newline when done.
 *
 * @module
 */
import type { ProgressCallback } from "./download.ts";

/** Options for {@linkcode createProgressLine}. */
export interface ProgressLineOptions {
  /** Where the text goes (default: stderr). */
  readonly write?: (text: string) => void;
  /** Least time between two updates, in ms (default 250). */
  readonly intervalMs?: number;
  /** Clock in ms (default `performance.now`). */
  readonly now?: () => number;
}

/** A progress line: feed it with `update`, close it with `finish`. */
export interface ProgressLine {
  /** Reports progress; redraws the line unless it was drawn less than `intervalMs` ago. */
  readonly update: ProgressCallback;
  /** Draws the last state and ends the line. */
  finish(): void;
}

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/** Bytes in MB with one decimal. */
function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** The text of a progress line, e.g. `label: 12.3 / 170.1 MB (7%)`. */
export function formatProgress(label: string, bytes: number, total: number | undefined): string {
  return total && total > 0
    ? `${label}: ${mb(bytes)} / ${mb(total)} MB (${Math.floor((100 * bytes) / total)}%)`
    : `${label}: ${mb(bytes)} MB`;
}

/** A progress line labelled `label` (see the module doc). */
export function createProgressLine(label: string, options: ProgressLineOptions = {}): ProgressLine {
  const write = options.write ?? writeStderr;
  const interval = options.intervalMs ?? 250;
  const now = options.now ?? (() => performance.now());
  let last = -Infinity;
  let width = 0;
  let state: [number, number | undefined] | undefined;
  let finished = false;
  const draw = () => {
    if (!state) return;
    const text = formatProgress(label, ...state);
    write(`\r${text.padEnd(width)}`);
    width = text.length;
  };
  return {
    update(bytes, total) {
      if (finished) return;
      state = [bytes, total];
      const t = now();
      if (t - last >= interval) {
        last = t;
        draw();
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      if (state) {
        draw();
        write("\n");
      }
    },
  };
}
