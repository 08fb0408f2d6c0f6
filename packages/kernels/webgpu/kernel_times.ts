/**
 * Time of each of our WGSL kernels at the conv layers of a VGG-style cfg (3x3 convs,
 * 'M' = 2x2 pool), each repeated in one submit and waited for once, so the fixed cost of
 * a wait is shared:
 *
 *   deno run -A packages/kernels/webgpu/kernel_times.ts \
 *     --cfg 8,8,M,16,16,M,32,32,32,32,M,64,64,64,64,M,64,64,64,64 --batch 64
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { FUSED } from "@slimming/tensor-utils";
import { useBackend } from "../select.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--cpu-time"),
  options: {
    cfg: { type: "string", default: "8,8,M,16,16,M,32,32,32,32,M,64,64,64,64,M,64,64,64,64" },
    batch: { type: "string", default: "64" },
    reps: { type: "string", default: "3" },
  },
});
const batch = Number(values.batch), reps = Number(values.reps);
await useBackend("webgpu");
const device = (tf.backend() as unknown as { device: GPUDevice }).device;

/** CPU seconds of this process (all threads: llvmpipe's included), from /proc. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const useCpu = Deno.args.includes("--cpu-time");

/** Milliseconds per call: wall time, or (--cpu-time) CPU time, robust to a loaded machine. */
async function timeMs(fn: () => tf.Tensor[]): Promise<number> {
  const b = tf.backend() as unknown as { submitQueue(): void; endComputePassEncoder(): void };
  tf.dispose(fn()); // compile and run once
  b.endComputePassEncoder();
  b.submitQueue();
  await device.queue.onSubmittedWorkDone();
  const start = useCpu ? cpuSeconds() * 1000 : performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(fn());
  b.endComputePassEncoder();
  b.submitQueue();
  await device.queue.onSubmittedWorkDone();
  return ((useCpu ? cpuSeconds() * 1000 : performance.now()) - start) / reps;
}

const totals: Record<string, number> = { fwd: 0, bnGrad: 0, gradIn: 0, gradW: 0 };
let size = 32, cin = 3;
console.log("layer           fwd ms  bnGrad ms  gradIn ms  gradW ms");
for (const item of values.cfg!.split(",")) {
  if (item === "M") {
    size /= 2;
    continue;
  }
  const cout = Number(item);
  const x = tf.randomNormal([batch, size, size, cin]);
  const w = tf.randomNormal([3, 3, cin, cout]);
  const dz = tf.randomNormal([batch, size, size, cout]);
  const g = tf.ones([cout]), b = tf.zeros([cout]), v = tf.ones([cout]);
  const t = {
    fwd: await timeMs(() =>
      tf.engine().runKernel(FUSED.convBnRelu, {
        x,
        weight: w,
        gamma: g,
        beta: b,
        runningMean: b,
        runningVar: v,
      }, { eps: 1e-5, momentum: 0.1 }) as tf.Tensor[]
    ),
    bnGrad: await timeMs(() =>
      tf.engine().runKernel(FUSED.bnReluGrad, {
        dy: dz,
        z: dz,
        gamma: g,
        beta: b,
        mean: b,
        variance: v,
      }, { eps: 1e-5 }) as tf.Tensor[]
    ),
    gradIn: cin === 3 ? 0 : await timeMs(() => [
      tf.engine().runKernel(FUSED.conv3x3GradInput, { dz, weight: w }, {}) as tf.Tensor,
    ]),
    gradW: await timeMs(() => [
      tf.engine().runKernel(FUSED.conv3x3GradFilter, { x, dz }, {}) as tf.Tensor,
    ]),
  };
  for (const k of Object.keys(totals)) totals[k] += t[k as keyof typeof t];
  console.log(
    `${size}x${size} ${cin}->${cout}`.padEnd(15) +
      Object.values(t).map((ms) => ms.toFixed(1).padStart(10)).join(""),
  );
  tf.dispose([x, w, dz, g, b, v]);
  cin = cout;
}
console.log(
  "total".padEnd(15) + Object.values(totals).map((ms) => ms.toFixed(1).padStart(10)).join(""),
);
