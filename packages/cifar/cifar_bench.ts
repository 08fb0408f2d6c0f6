/**
 * Benchmarks of the hot path and the archive reader: `deno bench -A packages/cifar`.
 * Uses the real archive when `CIFAR10_PATH` or the shared copy exists.
 *
 * @module
 */
import { augmentRng, batchesOf, epochOrder, loadCifar, makeBatch, syntheticCifar } from "./mod.ts";

const REAL = Deno.env.get("CIFAR10_PATH") ?? "/work/shared/datasets/cifar-10-binary.tar.gz";
const hasReal = await Deno.stat(REAL).then(() => true, () => false);
const train = hasReal
  ? (await loadCifar(REAL)).train
  : syntheticCifar({ trainPerClass: 100, testPerClass: 1 }).train;
const batches = batchesOf(epochOrder(train.count, 1, 0), 64);
let b = 0;

Deno.bench("makeBatch: 64 images, augmented", { group: "batch", baseline: true }, () => {
  const indices = batches[b++ % (batches.length - 1)];
  makeBatch(train, indices, { augment: true, rng: augmentRng(1, 0, b) });
});

Deno.bench("makeBatch: 64 images, evaluation", { group: "batch" }, () => {
  makeBatch(train, batches[b++ % (batches.length - 1)], { augment: false });
});

Deno.bench("epochOrder: 50,000", () => {
  epochOrder(50_000, 1, b++);
});

Deno.bench({
  name: "loadCifar: real archive",
  ignore: !hasReal,
  n: 3,
  warmup: 0,
  async fn() {
    await loadCifar(REAL);
  },
});
