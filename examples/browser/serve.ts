/**
 * `deno task serve --model DIR`: serves the browser example on localhost: the page, stock
 * TensorFlow.js from its npm package files (no CDN), the exported tfjs model folder and N
 * CIFAR-10 test images.
 *
 * @module
 */
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { loadSamples, type Samples, samplesJson } from "./samples.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  bin: "application/octet-stream",
};

/** A running example server. */
export interface ExampleServer {
  readonly url: string;
  readonly samples: Samples;
  close(): Promise<void>;
}

function tfjsBundle(): string {
  return createRequire(import.meta.url).resolve("@tensorflow/tfjs/dist/tf.min.js");
}

async function fileResponse(path: string): Promise<Response> {
  try {
    const body = await Deno.readFile(path);
    const type = TYPES[path.split(".").pop() ?? ""] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type } });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

/** Starts the server (port 0: any free port) on 127.0.0.1. */
export async function startServer(
  options: { model: string; port?: number; images?: number; data?: string },
): Promise<ExampleServer> {
  const here = new URL(".", import.meta.url).pathname;
  const model = await Deno.realPath(options.model);
  const samples = await loadSamples(options.images ?? 16, options.data);
  const json = samplesJson(samples);
  const bundle = tfjsBundle();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 8080, onListen: () => {} },
    (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      if (path === "/" || path === "/index.html") return fileResponse(`${here}index.html`);
      if (path === "/app.js") return fileResponse(`${here}app.js`);
      if (path === "/vendor/tf.min.js") return fileResponse(bundle);
      if (path === "/samples.json") {
        return new Response(json, { headers: { "content-type": TYPES.json } });
      }
      const name = path.startsWith("/model/") ? path.slice(7) : "";
      if (/^[\w.-]+$/.test(name)) return fileResponse(`${model}/${name}`);
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    samples,
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      port: { type: "string", default: "8080" },
      images: { type: "string", default: "16" },
      data: { type: "string" },
    },
  });
  if (!values.model) {
    console.error("usage: deno task serve --model DIR [--port 8080] [--images 16] [--data FILE]");
    Deno.exit(2);
  }
  const server = await startServer({
    model: values.model,
    port: Number(values.port),
    images: Number(values.images),
    data: values.data,
  });
  console.log(`serving ${values.model} with ${server.samples.source} at ${server.url}`);
}
