/**
 * How numbers appear in the report: accuracies, λ, ratios, large counts, durations.
 * Every formatter returns "—" for a missing or non-finite value, so a partial lab never
 * prints "NaN" or "undefined".
 *
 * @module
 */

/** What a missing value prints as. */
export const MISSING = "—";

function isNumber(value: number | undefined | null): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** An L1 penalty weight: `0`, `1e-4`, `5e-5`, `0.01`. */
export function formatLambda(lambda: number | undefined): string {
  if (!isNumber(lambda)) return MISSING;
  if (lambda === 0) return "0";
  if (Math.abs(lambda) < 1e-2) return lambda.toExponential().replace("e+", "e");
  return String(lambda);
}

/** "λ = 1e-4". */
export function lambdaLabel(lambda: number | undefined): string {
  return `λ = ${formatLambda(lambda)}`;
}

/** An accuracy given in percent: `93.12%`. */
export function formatAccuracy(percent: number | undefined, digits = 2): string {
  return isNumber(percent) ? `${percent.toFixed(digits)}%` : MISSING;
}

/** A prune ratio (fraction of channels removed): `0.9` → `90%`. */
export function formatRatio(ratio: number | undefined): string {
  if (!isNumber(ratio)) return MISSING;
  return `${Number((ratio * 100).toFixed(1))}%`;
}

/** A fraction as a percentage with one decimal: `0.123` → `12.3%`. */
export function formatFraction(fraction: number | undefined): string {
  return isNumber(fraction) ? `${(fraction * 100).toFixed(1)}%` : MISSING;
}

/** A count with an SI suffix: `20.04 M`, `398.7 M`, `1.21 G`, `5,312`. */
export function formatCount(value: number | undefined): string {
  if (!isNumber(value)) return MISSING;
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  return Math.round(value).toLocaleString("en-US");
}

/** A value with `digits` significant digits, without exponent for ordinary magnitudes. */
export function formatSignificant(value: number | undefined, digits = 3): string {
  if (!isNumber(value)) return MISSING;
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs < 1e-4 || abs >= 1e6) return value.toExponential(digits - 1).replace("e+", "e");
  return String(Number(value.toPrecision(digits)));
}

/** A rate in images per second: `1,234 img/s`. */
export function formatRate(imagesPerSecond: number | undefined): string {
  if (!isNumber(imagesPerSecond)) return MISSING;
  const rounded = imagesPerSecond >= 100
    ? Math.round(imagesPerSecond).toLocaleString("en-US")
    : imagesPerSecond.toPrecision(3);
  return `${rounded} img/s`;
}

/** A signed change relative to `before`: `-88.5%`, `+12.0%`. */
export function formatChange(before: number | undefined, after: number | undefined): string {
  if (!isNumber(before) || !isNumber(after) || before === 0) return MISSING;
  const change = (after - before) / before * 100;
  return `${change >= 0 ? "+" : "−"}${Math.abs(change).toFixed(1)}%`;
}

/** A wall time: `42 s`, `12 min 05 s`, `3 h 07 min`. */
export function formatDuration(seconds: number | undefined): string {
  if (!isNumber(seconds) || seconds < 0) return MISSING;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const totalSeconds = Math.round(seconds);
  if (totalSeconds < 3600) {
    const minutes = Math.floor(totalSeconds / 60);
    return `${minutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
  }
  const totalMinutes = Math.round(seconds / 60);
  const hours = Math.floor(totalMinutes / 60);
  return `${hours} h ${String(totalMinutes % 60).padStart(2, "0")} min`;
}

/** A cfg list as written in the paper's code: `[64, 64, M, 128, …]`. */
export function formatCfg(cfg: ReadonlyArray<number | string> | undefined): string {
  return cfg === undefined ? MISSING : `[${cfg.join(", ")}]`;
}
