/**
 * The PyTorch side of `bench`: a `torch_bench.py` process timing the same model on request.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Architecture, ModelParams } from "@slimming/architectures";

/** What PyTorch needs to build the same model as `arch` at `spec` (see torch_bench.py). */
export function torchModel(
  arch: Architecture<ModelParams>,
  spec: ReturnType<Architecture<ModelParams>["specFor"]>,
  depth: number,
  classes: number,
): Record<string, unknown> {
  return {
    arch: arch.name,
    ...(arch.torchTwin ? { twin: arch.torchTwin } : {}),
    cfg: spec.cfg,
    depth,
    ...(spec.planes ? { planes: spec.planes } : {}),
    ...(spec.growthRate ? { growthRate: spec.growthRate } : {}),
    classes,
  };
}

/** A PyTorch process answering timing requests (see bench/torch_bench.py), or undefined. */
export class TorchBench {
  #process: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  version = "";
  private constructor(process: Deno.ChildProcess) {
    this.#process = process;
    this.#writer = process.stdin.getWriter();
    this.#lines = process.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())
      [Symbol.asyncIterator]();
  }
  static start(python: string): TorchBench | undefined {
    const script = fileURLToPath(new URL("./torch_bench.py", import.meta.url));
    let process: Deno.ChildProcess;
    try {
      process = new Deno.Command(python, {
        args: [script],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    } catch {
      return undefined;
    }
    return new TorchBench(process);
  }
  /** Images/s of the request's model and mode on the PyTorch side. */
  async measure(request: Record<string, unknown>): Promise<number | undefined> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const next = await this.#lines.next();
    if (next.done) return undefined;
    const answer = JSON.parse(next.value) as { imagesPerSecond: number; torch: string };
    this.version = answer.torch;
    return answer.imagesPerSecond;
  }
  /** This process's peak resident bytes so far (undefined if it has gone). */
  async peakBytes(): Promise<number | undefined> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify({ mode: "peak" }) + "\n"));
    const next = await this.#lines.next();
    if (next.done) return undefined;
    return (JSON.parse(next.value) as { peakBytes: number }).peakBytes;
  }
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#process.status;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p.trim()) controller.enqueue(p);
    },
    flush(controller) {
      if (rest.trim()) controller.enqueue(rest);
    },
  });
}
