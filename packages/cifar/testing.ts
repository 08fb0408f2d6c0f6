/**
 * Helpers for the CIFAR tests: temporary folders, synthetic archive files, a local HTTP
 * server and a check that a promise fails with a one-line {@linkcode DataError}. Not part of the public API.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { DataError } from "@slimming/tensor-utils/core";
import type { CifarData } from "./format.ts";
import { type SyntheticOptions, writeSyntheticArchive } from "./synthetic.ts";

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "cifar_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Awaits `promise`, which must reject with a {@linkcode DataError} whose message is one
 * line and contains every string in `parts`; returns the message.
 */
export async function expectDataError(
  promise: Promise<unknown>,
  parts: readonly string[],
): Promise<string> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (!(error instanceof DataError)) {
    throw new Error(`expected a DataError, got ${error === undefined ? "success" : String(error)}`);
  }
  if (error.message.includes("\n")) throw new Error(`message is not one line: ${error.message}`);
  for (const part of parts) {
    if (!error.message.includes(part)) {
      throw new Error(`message ${JSON.stringify(error.message)} lacks ${JSON.stringify(part)}`);
    }
  }
  return error.message;
}

/** A local HTTP server on 127.0.0.1 (random port) and its base URL. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests received so far, with their `Range` header (or null). */
  readonly requests: { path: string; range: string | null }[];
  /** Stops the server and waits for it. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a server whose responses come from `handler` (given the request and its number, from 0). */
export function startServer(
  handler: (request: Request, index: number) => Response | Promise<Response>,
): LocalServer {
  const requests: { path: string; range: string | null }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const index = requests.length;
      requests.push({ path: new URL(request.url).pathname, range: request.headers.get("range") });
      return handler(request, index);
    },
  );
  const close = async () => {
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A response serving `bytes` with `Range` support (206 for `bytes=N-`), unless
 * `ignoreRange`. With `dropAfter`, the body stops after that many bytes, short of its
 * Content-Length, which aborts the connection mid-download. With `chunk` and `delayMs`, the body comes
 * in pieces of `chunk` bytes with a pause before each.
 */
export function serveBytes(
  request: Request,
  bytes: Uint8Array,
  options: { ignoreRange?: boolean; dropAfter?: number; chunk?: number; delayMs?: number } = {},
): Response {
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
  if (range && !options.ignoreRange) start = Number(range[1]);
  if (start > 0 && start >= bytes.length) {
    return new Response(null, {
      status: 416,
      headers: { "content-range": `bytes */${bytes.length}` },
    });
  }
  const body = bytes.subarray(start);
  const end = options.dropAfter === undefined
    ? body.length
    : Math.min(body.length, options.dropAfter);
  const chunk = options.chunk ?? 16384;
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= end) {
        // Closing short of the announced Content-Length makes the server drop the connection.
        controller.close();
        return;
      }
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const next = Math.min(end, at + chunk);
      controller.enqueue(body.slice(at, next));
      at = next;
    },
  });
  const headers: Record<string, string> = {
    "content-type": "application/gzip",
    "content-length": String(body.length),
  };
  if (start > 0) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
  return new Response(stream, { status: start > 0 ? 206 : 200, headers });
}

/** A synthetic archive written to `<dir>/<name>`: the data, the file's bytes and their md5. */
export interface SyntheticArchive {
  readonly path: string;
  readonly data: CifarData;
  readonly bytes: Uint8Array;
  readonly md5: string;
}

/** Writes a small synthetic archive of `options.spec`'s format (default CIFAR-10) for download and load tests. */
export async function syntheticArchiveFile(
  dir: string,
  options: SyntheticOptions,
  name = "source.tar.gz",
): Promise<SyntheticArchive> {
  const path = `${dir}/${name}`;
  const data = await writeSyntheticArchive(path, options);
  const bytes = await Deno.readFile(path);
  return { path, data, bytes, md5: createHash("md5").update(bytes).digest("hex") };
}
