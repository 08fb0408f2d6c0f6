/**
 * Shared parts of the export tests: exporting a parameter tree into a folder, running the
 * exported model in stock tfjs and in ONNX Runtime (in a child process: see
 * `tools/onnx_logits.ts`), and comparing logits.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD } from "@slimming/cifar";
import {
  exportFiles,
  type ExportFormat,
  type ExportSpec,
  writeFolderAtomic,
} from "@slimming/export";
import { disposeTree, type NamedArray } from "@slimming/tensor-utils";
import { architecture } from "@slimming/architectures";
import { forward, toStateDict, type VggParams } from "@slimming/vgg";
import { defaultResnetCfg, pruneResnet, type ResnetParams, resnetPlanes } from "@slimming/resnet";
import { randomResnetParams } from "@slimming/resnet/testing";
import { densenetBnWidths, type DensenetParams, pruneDensenet } from "@slimming/densenet";
import { randomDensenet } from "@slimming/densenet/testing";

/** Exports `params` as `format` into the new folder `dir`. */
export async function exportTo(
  params: VggParams,
  format: ExportFormat,
  dir: string,
  foldBn = true,
): Promise<void> {
  const files = exportFiles(params.cfg, await toStateDict(params), {
    format,
    foldBn,
    mean: CIFAR10_MEAN,
    std: CIFAR10_STD,
    classes: CIFAR10_CLASSES,
    source: "test",
  });
  await writeFolderAtomic(dir, files);
}

/** Our eval-mode logits of NHWC images. */
export async function ourLogits(
  params: VggParams,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  const input = tf.tensor4d(x, [n, 32, 32, 3]);
  const { logits } = forward(params, input, { training: false });
  const out = (await logits.data()) as Float32Array;
  tf.dispose([input, logits]);
  return out;
}

/** Logits of the tfjs model in `dir`, loaded by stock `tf.loadLayersModel` from its files. */
export async function tfjsLogits(dir: string, x: Float32Array, n: number): Promise<Float32Array> {
  const url = new URL(`file://${Deno.realPathSync(dir)}/model.json`).href;
  const model = await tf.loadLayersModel(tf.io.http(url));
  const input = tf.tensor4d(x, [n, 32, 32, 3]);
  const logits = model.predict(input) as tf.Tensor;
  const out = (await logits.data()) as Float32Array;
  tf.dispose([input, logits]);
  model.dispose();
  return out;
}

const ONNX_RUNNER = new URL("./tools/onnx_logits.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("..", import.meta.url).pathname;

/** One ONNX run: the model folder `dir` on NCHW images [n, 3, 32, 32]. */
export interface OnnxJob {
  readonly dir: string;
  readonly nchw: Float32Array;
  readonly n: number;
}

/**
 * Logits of each job's ONNX model in onnxruntime-node, all run by one child process (the
 * runtime cannot create sessions in more than one test module of a process).
 */
export async function onnxLogitsOf(jobs: readonly OnnxJob[]): Promise<Float32Array[]> {
  const tmp = await Deno.makeTempDir({ prefix: "onnx-jobs-" });
  try {
    const list = await Promise.all(jobs.map(async (job, i) => {
      const input = `${tmp}/in${i}.bin`;
      const { buffer, byteOffset, byteLength } = job.nchw;
      await Deno.writeFile(input, new Uint8Array(buffer, byteOffset, byteLength));
      return { model: `${job.dir}/model.onnx`, input, n: job.n, output: `${tmp}/out${i}.bin` };
    }));
    await Deno.writeTextFile(`${tmp}/jobs.json`, JSON.stringify(list));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ONNX_RUNNER, `${tmp}/jobs.json`],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`onnx_logits.ts failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return await Promise.all(list.map(async ({ output }) => {
      const bytes = await Deno.readFile(output);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Logits of the ONNX model in `dir` in onnxruntime-node (NCHW input). */
export async function onnxLogits(
  dir: string,
  nchw: Float32Array,
  n: number,
): Promise<Float32Array> {
  return (await onnxLogitsOf([{ dir, nchw, n }]))[0];
}

/** max |a - b| / max |b|: the error of `a` relative to the size of the reference logits `b`. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/**
 * Exports the model `spec` with the tensors of `stateDict` as `format` into the new folder
 * `dir`, through its architecture's export graph (the registry's descriptor for its tag).
 */
export async function exportSpecTo(
  spec: ExportSpec,
  stateDict: Record<string, NamedArray>,
  format: ExportFormat,
  dir: string,
  foldBn = true,
): Promise<void> {
  const files = exportFiles(spec, stateDict, {
    format,
    foldBn,
    mean: CIFAR10_MEAN,
    std: CIFAR10_STD,
    classes: CIFAR10_CLASSES,
    source: "test",
    graph: architecture(spec.arch).exportGraph,
  });
  await writeFolderAtomic(dir, files);
}

/** Eval-mode logits of NHWC images [n, 32, 32, 3] by a model's own `forward`. */
export async function forwardLogits<P>(
  forwardFn: (params: P, x: tf.Tensor4D, options: { training: boolean }) => {
    logits: tf.Tensor;
  },
  params: P,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  const input = tf.tensor4d(x, [n, 32, 32, 3]);
  const { logits } = forwardFn(params, input, { training: false });
  const out = (await logits.data()) as Float32Array;
  tf.dispose([input, logits]);
  return out;
}

/** A pre-activation ResNet of `depth` at `width` with random weights, BN statistics and
 * gammas (seeded), pruned at `ratio` by the slimming package when `ratio` > 0. */
export async function randomResnet(
  depth: number,
  width: number,
  ratio: number,
  seed: number,
): Promise<ResnetParams> {
  const planes = resnetPlanes(width);
  const full = randomResnetParams({ depth, planes, cfg: defaultResnetCfg(depth, width) }, seed);
  if (ratio === 0) return full;
  const { params } = await pruneResnet(full, ratio);
  disposeTree(full);
  return params;
}

/** A DenseNet of `depth` and `growthRate` with random weights, BN statistics and gammas
 * (seeded), pruned at `ratio` by the slimming package when `ratio` > 0. */
export function randomDensenetModel(
  depth: number,
  growthRate: number,
  ratio: number,
  seed: number,
): DensenetParams {
  const cfg = densenetBnWidths(depth, growthRate);
  const full = randomDensenet({ depth, growthRate, cfg }, seed);
  if (ratio === 0) return full;
  const { params } = pruneDensenet(full, ratio);
  disposeTree(full);
  return params;
}

/** max |a - b| (Infinity when the lengths differ). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}
