/**
 * Where the data comes from, in order: the `--data` flag (a path, or an http(s) URL to
 * download), the data set's environment variable (`CIFAR10_PATH`, `CIFAR100_PATH`), the
 * cached archive `<cacheDir>/cifar-10-binary.tar.gz` (`cifar-100-binary.tar.gz`), and
 * finally a download of the official archive into the cache, checked against its md5.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import { downloadFile, PARTIAL_SUFFIX, type ProgressCallback } from "./download.ts";
import { isGzipMagic } from "./gzip.ts";
import { CIFAR10_SPEC, type CifarSpec } from "./spec.ts";

/** Name of the CIFAR-10 archive in the cache folder. */
export const CACHE_FILE: string = CIFAR10_SPEC.archiveFile;
/** The environment variable that names the CIFAR-10 data. */
export const ENV_VAR: string = CIFAR10_SPEC.envVar;

/** Options for {@linkcode resolveCifarSource}. */
export interface ResolveOptions {
  /** The data set (default CIFAR-10): its environment variable, cache name, URL and md5. */
  readonly spec?: CifarSpec;
  /** Value of the `--data` flag: a path or an http(s) URL. */
  readonly flag?: string;
  /** Environment to read the spec's variable (`CIFAR10_PATH`, ...) from (default: the process environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Cache folder for downloads (default `data`). */
  readonly cacheDir?: string;
  /** URL to download when nothing else is found (default the spec's official URL). */
  readonly url?: string;
  /** Expected md5 of a download (the official archives' are known already). */
  readonly md5?: string;
  /** Expected sha256 of a download. */
  readonly sha256?: string;
  /** Retries of a download (default 5). */
  readonly retries?: number;
  /** Wait before the first retry in ms (default 1000). */
  readonly retryDelayMs?: number;
  /** The `fetch` to use for downloads. */
  readonly fetchImpl?: typeof fetch;
  /** Download progress reports. */
  readonly onProgress?: ProgressCallback;
}

/** A local archive or folder to load, and where it came from. */
export interface ResolvedSource {
  /** Local path of the archive or folder. */
  readonly path: string;
  /** Which rule found it. */
  readonly origin: "flag" | "env" | "cache" | "download";
  /** One line for logs and run configs, e.g. `cache data/cifar-10-binary.tar.gz`. */
  readonly description: string;
}

function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

function processEnv(name: string): Record<string, string | undefined> {
  try {
    return { [name]: Deno.env.get(name) };
  } catch {
    return {}; // no --allow-env: behave as if unset
  }
}

/** Whether `path` looks like a usable cached archive: a non-empty file starting with gzip magic. */
export async function isCachedArchive(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size < 18) return false;
    using file = await Deno.open(path);
    const head = new Uint8Array(2);
    return (await file.read(head)) === 2 && isGzipMagic(head);
  } catch {
    return false;
  }
}

/** The cache file name for a URL: its last path segment when safe, else the standard name. */
function cacheNameFor(url: string, what: string, spec: CifarSpec): string {
  let last: string;
  try {
    last = new URL(url).pathname.split("/").pop() ?? "";
  } catch {
    throw new DataError(`${what}: ${url} is not a valid URL`);
  }
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(last) && !last.endsWith(PARTIAL_SUFFIX)
    ? last
    : spec.archiveFile;
}

async function fromLocal(
  path: string,
  what: string,
  origin: ResolvedSource["origin"],
): Promise<ResolvedSource> {
  if (path.endsWith(PARTIAL_SUFFIX)) {
    throw new DataError(`${what}: ${path} is an unfinished download (.partial), not an archive`);
  }
  try {
    await Deno.stat(path);
  } catch {
    throw new DataError(`${what}: ${path}: no such file or folder`);
  }
  return { path, origin, description: `${what} ${path}` };
}

async function fromUrl(
  url: string,
  what: string,
  origin: ResolvedSource["origin"],
  options: ResolveOptions,
): Promise<ResolvedSource> {
  const cacheDir = (options.cacheDir ?? "data").replace(/\/+$/, "") || "/";
  const dest = `${cacheDir}/${cacheNameFor(url, what, options.spec ?? CIFAR10_SPEC)}`;
  if (await isCachedArchive(dest)) {
    return { path: dest, origin: "cache", description: `${what} ${url}, cached at ${dest}` };
  }
  await Deno.remove(dest).catch(() => {}); // an invalid leftover; the download replaces it
  await downloadFile(url, dest, {
    md5: options.md5,
    sha256: options.sha256,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    fetchImpl: options.fetchImpl,
    onProgress: options.onProgress,
  });
  return { path: dest, origin, description: `${what} ${url}, downloaded to ${dest}` };
}

/**
 * Finds the data (see the module doc) and downloads it when needed. The result is
 * never a `.partial` file. Problems (a path that does not exist, a failed download) are
 * {@linkcode DataError}s.
 */
export async function resolveCifarSource(options: ResolveOptions = {}): Promise<ResolvedSource> {
  const { flag } = options;
  const spec = options.spec ?? CIFAR10_SPEC;
  if (flag !== undefined && flag !== "") {
    return isUrl(flag)
      ? await fromUrl(flag, "--data", "flag", options)
      : await fromLocal(flag, "--data", "flag");
  }
  const envValue = (options.env ?? processEnv(spec.envVar))[spec.envVar];
  if (envValue !== undefined && envValue !== "") {
    return isUrl(envValue)
      ? await fromUrl(envValue, spec.envVar, "env", options)
      : await fromLocal(envValue, spec.envVar, "env");
  }
  const cacheDir = (options.cacheDir ?? "data").replace(/\/+$/, "") || "/";
  const cached = `${cacheDir}/${spec.archiveFile}`;
  if (await isCachedArchive(cached)) {
    return { path: cached, origin: "cache", description: `cache ${cached}` };
  }
  const url = options.url ?? spec.url;
  await Deno.remove(cached).catch(() => {});
  await downloadFile(url, cached, {
    md5: options.md5 ?? (url === spec.url && !options.sha256 ? spec.md5 : undefined),
    sha256: options.sha256,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    fetchImpl: options.fetchImpl,
    onProgress: options.onProgress,
  });
  return { path: cached, origin: "download", description: `downloaded ${url} to ${cached}` };
}
