/**
 * Images per second of forward + backward through the synthetic pre-activation stack
 * (`preact_stack.ts`) on a tfjs backend, and with `--profile` the time per kernel name of one
 * step. The PyTorch twin is `preact_torch.py` (same layers, same sizes).
 *
 * Usage: deno run -A packages/kernels/bench/preact_bench.ts [--backend native] [--blocks 3]
 *   [--dense 0] [--keep 1] [--batch 64] [--steps 5] [--repeat 3] [--threads 2] [--profile]
 *   [--without bnRelu,conv1x1,convPatches,channels] (families turned back to stock: `without.ts`)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { disposeBackends, useBackend } from "../mod.ts";
import { initStack, stepStack } from "./preact_stack.ts";
import { withoutKernels } from "./without.ts";

const { values: o } = parseArgs({
  options: {
    backend: { type: "string", default: "native" },
    blocks: { type: "string", default: "3" },
    dense: { type: "string", default: "0" },
    keep: { type: "string", default: "1" },
    batch: { type: "string", default: "64" },
    steps: { type: "string", default: "5" },
    repeat: { type: "string", default: "3" },
    threads: { type: "string" },
    profile: { type: "boolean", default: false },
    without: { type: "string", default: "" },
  },
});
await useBackend(o.backend, { threads: o.threads ? Number(o.threads) : undefined });
const without = o.without ? o.without.split(",") : [];
withoutKernels(o.backend, without);
const batch = Number(o.batch);
const spec = {
  blocks: Number(o.blocks),
  denseLayers: Number(o.dense),
  keep: Number(o.keep),
  classes: 100,
};
const stack = initStack(spec);
const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
const labels = tf.oneHot(tf.randomUniform([batch], 0, 100, "int32", 8) as tf.Tensor1D, 100);
stepStack(stack, x, labels as tf.Tensor2D); // warm-up (buffer pools, native build)
const before = tf.memory().numTensors;
const rates: number[] = [];
for (let r = 0; r < Number(o.repeat); r++) {
  const t0 = performance.now();
  for (let i = 0; i < Number(o.steps); i++) stepStack(stack, x, labels as tf.Tensor2D);
  rates.push((batch * Number(o.steps)) / ((performance.now() - t0) / 1000));
}
if (tf.memory().numTensors !== before) throw new Error("the step leaks tensors");
const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
console.log(
  `${o.backend}${without.length ? ` without ${without}` : ""} ${JSON.stringify(spec)} ` +
    `batch ${batch}: ` +
    `${rates.map((r) => r.toFixed(1)).join(", ")} img/s (load ${load})`,
);
if (o.profile) {
  const info = await tf.profile(() => stepStack(stack, x, labels as tf.Tensor2D));
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs) || 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    byName.set(k.name, { ms: e.ms + ms, calls: e.calls + 1 });
    total += ms;
  }
  console.log(`profile: ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
    const share = ((100 * e.ms) / total).toFixed(1);
    console.log(
      `  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${share.padStart(5)}%  x${e.calls}`,
    );
  }
}
disposeBackends();
