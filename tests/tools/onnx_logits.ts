/**
 * Runs exported ONNX models in onnxruntime-node, in a process of its own: onnxruntime-node
 * 1.22 creates sessions in one Deno isolate per process only (a second test module's session
 * fails with "OrtEnv already destroyed", then the process crashes), so the tests run it here.
 *
 * Usage: `deno run -A tests/tools/onnx_logits.ts JOBS.json`, where the file lists
 * `{ model, input, n, output }` jobs: the ONNX file, a raw little-endian float32 NCHW input
 * [n, 3, 32, 32], and where to write the logits (raw little-endian float32).
 *
 * @module
 */
import * as ort from "onnxruntime-node";

interface Job {
  readonly model: string;
  readonly input: string;
  readonly n: number;
  readonly output: string;
}

const jobs = JSON.parse(await Deno.readTextFile(Deno.args[0])) as Job[];
for (const job of jobs) {
  const bytes = await Deno.readFile(job.input);
  const x = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const session = await ort.InferenceSession.create(job.model);
  try {
    const result = await session.run({ input: new ort.Tensor("float32", x, [job.n, 3, 32, 32]) });
    const logits = result.logits.data as Float32Array;
    await Deno.writeFile(
      job.output,
      new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength),
    );
  } finally {
    await session.release();
  }
}
