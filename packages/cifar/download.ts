/**
 * Resumable, verified downloads. Bytes stream into `<dest>.partial`; a dropped
 * connection is retried with an HTTP `Range` request that continues where it stopped
 * (a server that ignores `Range` makes it start over); the finished file is checked
 * against the expected md5/sha256 and only then renamed to `dest`. A checksum mismatch
 * deletes the download, so nothing is left behind.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { DataError, WriteError } from "@slimming/tensor-utils/core";
import { CIFAR10_SPEC, specOfUrl } from "./spec.ts";

/** The official CIFAR-10 binary archive. */
export const OFFICIAL_URL: string = CIFAR10_SPEC.url;
/** md5 of the official CIFAR-10 archive, as published on the CIFAR page. */
export const OFFICIAL_MD5: string = CIFAR10_SPEC.md5;
/** Suffix of a download in progress; such a file is never used as an archive. */
export const PARTIAL_SUFFIX = ".partial";

/** Called as bytes arrive: bytes so far and the total when the server says it. */
export type ProgressCallback = (bytes: number, total: number | undefined) => void;

/** Options for {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Expected md5 (hex). Defaults to the official md5 for an official archive's URL (CIFAR-10, CIFAR-100) when no sum is given. */
  readonly md5?: string;
  /** Expected sha256 (hex). */
  readonly sha256?: string;
  /** Retries after a failed attempt (default 5). */
  readonly retries?: number;
  /** Wait before the first retry, doubled after each, at most 30 s (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** An attempt that receives nothing for this long is abandoned and retried (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Progress reports, one per chunk received. */
  readonly onProgress?: ProgressCallback;
  /** The `fetch` to use (default the global one). */
  readonly fetchImpl?: typeof fetch;
}

/** What a finished download produced. */
export interface DownloadResult {
  /** The final path (`dest`). */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** Its md5 (hex). */
  readonly md5: string;
  /** Its sha256 (hex). */
  readonly sha256: string;
  /** HTTP requests made, including the successful one. */
  readonly attempts: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/** An attempt that failed in a way another attempt may fix. */
class RetryableError extends Error {}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Hex md5 and sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash("md5"), sha256 = createHash("sha256");
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    md5.update(buffer.subarray(0, n));
    sha256.update(buffer.subarray(0, n));
  }
  return { md5: md5.digest("hex"), sha256: sha256.digest("hex") };
}

function parseContentRange(value: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

interface Attempt {
  readonly url: string;
  readonly partial: string;
  readonly have: number;
  readonly options: DownloadOptions;
}

/** One HTTP request; returns the bytes in the partial file when the body is complete. */
async function attempt({ url, partial, have, options }: Attempt): Promise<number> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new RetryableError(`no data for ${idleMs / 1000} s`)),
      idleMs,
    );
  };
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (have > 0) headers.range = `bytes=${have}-`;
  arm();
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { headers, signal: controller.signal });
    } catch (error) {
      throw new RetryableError(describe(error));
    }
    const status = `HTTP ${response.status} ${response.statusText}`.trim();
    let append = false;
    let total: number | undefined;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (!range || range.start !== have) {
        await response.body?.cancel();
        await Deno.truncate(partial, 0);
        throw new RetryableError(
          `unexpected Content-Range ${response.headers.get("content-range")}; starting over`,
        );
      }
      append = true;
      total = range.total;
    } else if (response.status === 416 && have > 0) {
      await response.body?.cancel();
      const range = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "");
      if (range && Number(range[1]) === have) return have; // already complete
      await Deno.truncate(partial, 0);
      throw new RetryableError(`${status} for a resume; starting over`);
    } else if (response.ok) {
      const length = response.headers.get("content-length");
      total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    } else {
      await response.body?.cancel();
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        throw new RetryableError(status);
      }
      throw new DataError(`cannot download ${url}: ${status}`);
    }
    if (!response.body) throw new RetryableError(`${status} without a body`);
    let bytes = append ? have : 0;
    options.onProgress?.(bytes, total);
    using file = await Deno.open(partial, {
      write: true,
      create: true,
      append,
      truncate: !append,
    });
    const reader = response.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new RetryableError(
            `connection lost after ${bytes} bytes (${describe(controller.signal.reason ?? error)})`,
          );
        }
        if (chunk.done) break;
        arm();
        try {
          for (let at = 0; at < chunk.value.length;) {
            at += await file.write(chunk.value.subarray(at));
          }
        } catch (error) {
          throw new WriteError(`cannot write ${partial}: ${describe(error)}`);
        }
        bytes += chunk.value.length;
        options.onProgress?.(bytes, total);
        if (total !== undefined && bytes > total) {
          throw new RetryableError(`server sent more than the ${total} bytes it announced`);
        }
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      if (error instanceof RetryableError && /more than the/.test(error.message)) {
        await Deno.truncate(partial, 0);
      }
      throw error;
    }
    await file.sync();
    if (total !== undefined && bytes < total) {
      throw new RetryableError(`connection closed after ${bytes} of ${total} bytes`);
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads `url` to `dest`, resuming after dropped connections and verifying the
 * checksum before the file appears at `dest`. A pre-existing `<dest>.partial` is resumed
 * only when a checksum will be checked (otherwise it is discarded). Fails with a
 * {@linkcode DataError}: on a checksum mismatch (the download is deleted), on an HTTP
 * error like 404, or when all retries fail (the `.partial` is kept for a later resume).
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const retries = options.retries ?? 5;
  const baseDelay = options.retryDelayMs ?? 1000;
  const md5 = options.md5 ?? (options.sha256 ? undefined : specOfUrl(url)?.md5);
  const sha256 = options.sha256;
  const partial = dest + PARTIAL_SUFFIX;
  const slash = dest.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(dest.slice(0, slash), { recursive: true });
  let have = md5 || sha256 ? (await sizeOf(partial)) ?? 0 : 0;
  if (have === 0) await removeIfPresent(partial);
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      have = await attempt({ url, partial, have, options });
      break;
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      have = (await sizeOf(partial)) ?? 0;
      if (attempts > retries) {
        throw new DataError(
          `cannot download ${url}: ${describe(error)} (gave up after ${attempts} attempts; ` +
            `${have} bytes kept in ${partial} for a later resume)`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(30_000, baseDelay * 2 ** (attempts - 1)))
      );
    }
  }
  const sums = await hashFile(partial);
  const mismatch = md5 && sums.md5 !== md5.toLowerCase()
    ? `md5 ${sums.md5}, expected ${md5}`
    : sha256 && sums.sha256 !== sha256.toLowerCase()
    ? `sha256 ${sums.sha256}, expected ${sha256}`
    : undefined;
  if (mismatch) {
    await removeIfPresent(partial);
    throw new DataError(`${url}: downloaded file has ${mismatch}; deleted it, nothing was saved`);
  }
  await Deno.rename(partial, dest);
  return { path: dest, bytes: have, ...sums, attempts };
}
