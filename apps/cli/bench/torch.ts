/**
 * The PyTorch side of `bench`: a `torch_bench.py` process timing the same model on request.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

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
  async measure(request: Record<string, unknown>): Promise<number | undefined> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const next = await this.#lines.next();
    if (next.done) return undefined;
    const answer = JSON.parse(next.value) as { imagesPerSecond: number; torch: string };
    this.version = answer.torch;
    return answer.imagesPerSecond;
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
