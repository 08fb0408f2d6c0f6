/**
 * The training progress line: epoch, batch, loss, accuracy, images/s and ETA, redrawn in
 * place on a terminal and printed every few seconds otherwise (CI logs).
 *
 * @module
 */

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Values shown on the line. */
export interface ProgressState {
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/** The text of a progress line. */
export function formatProgressState(s: ProgressState): string {
  return `epoch ${s.epoch}/${s.epochs}  batch ${s.batch}/${s.batches}  loss ${
    s.loss.toFixed(4)
  }  ` +
    `acc ${s.accuracy.toFixed(2)}%  ${s.imagesPerSecond.toFixed(0)} img/s  ETA ${
      formatDuration(s.etaSeconds)
    }`;
}

/** A line that is redrawn (TTY) or printed periodically (not a TTY). */
export interface ProgressPrinter {
  update(state: ProgressState): void;
  /** Ends the current line with a final message. */
  done(message: string): void;
  /** Prints a message on its own line. */
  note(message: string): void;
}

/** A progress printer on stderr; `quiet` prints only done/note lines, `silent` nothing. */
export function createProgressPrinter(
  options: { quiet?: boolean; silent?: boolean; intervalMs?: number } = {},
): ProgressPrinter {
  const encoder = new TextEncoder();
  const write = (text: string) => {
    if (!options.silent) Deno.stderr.writeSync(encoder.encode(text));
  };
  const tty = Deno.stderr.isTerminal();
  const interval = options.intervalMs ?? (tty ? 250 : 10_000);
  let last = 0;
  let open = false;
  return {
    update(state) {
      if (options.quiet) return;
      const now = performance.now();
      if (now - last < interval && state.batch !== state.batches) return;
      last = now;
      const text = formatProgressState(state);
      if (tty) {
        write(`\r\x1b[2K${text}`);
        open = true;
      } else write(`${text}\n`);
    },
    done(message) {
      write(tty && open ? `\r\x1b[2K${message}\n` : `${message}\n`);
      open = false;
    },
    note(message) {
      write(tty && open ? `\n${message}\n` : `${message}\n`);
      open = false;
    },
  };
}
