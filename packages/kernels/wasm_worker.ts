/**
 * A kernel worker thread: see {@linkcode serveWasmRanges}.
 *
 * @module
 */
import { serveWasmRanges } from "./wasm_pool.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null;
  serveWasmRanges(e.data, () => scope.postMessage("ready"));
  scope.close();
};
