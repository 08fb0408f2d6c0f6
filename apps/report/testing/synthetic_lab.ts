/**
 * A small synthetic lab folder for tests and examples: lab.json, per-stage config.json,
 * history.json, prune.json and last.safetensors checkpoints (PyTorch reference names).
 * The |γ| of each λ come from a different distribution — the larger λ, the more of them
 * near zero, and the last conv block nearly all-zero for the largest λ so that the
 * min-channels guard fires at a 90% prune. Prune numbers are computed from those γ.
 *
 * @module
 */
import { join } from "node:path";
import {
  createRng,
  encodeSafetensors,
  f32,
  type NamedArray,
  type Rng,
  writeJsonAtomic,
} from "@slimming/tensor-utils/core";
import type {
  CfgItem,
  EpochRecord,
  LabEvent,
  LabStage,
  LabSummary,
  PruneSummary,
  RunConfig,
} from "../lab_types.ts";

/** VGG-19 for CIFAR at a quarter of the width: 16 convs, small checkpoints. */
export const QUARTER_VGG19: CfgItem[] = [
  16,
  16,
  "M",
  32,
  32,
  "M",
  64,
  64,
  64,
  64,
  "M",
  128,
  128,
  128,
  128,
  "M",
  128,
  128,
  128,
  128,
];

/** What to generate. */
export interface SyntheticLabOptions {
  readonly cfg?: CfgItem[];
  readonly lambdas?: number[];
  readonly ratios?: number[];
  readonly epochs?: number;
  readonly finetuneEpochs?: number;
  readonly minChannels?: number;
  readonly seed?: number;
  /** Stage folders to leave out entirely (their lab.json status is "pending"). */
  readonly omit?: string[];
  /** lab.json events (default: a guard and a collapse event at the largest ratio). */
  readonly events?: LabEvent[];
  readonly profile?: string;
  readonly scaledDown?: string[];
  /** Write the 4-D conv weights into the checkpoints (default true; false keeps big cfgs fast). */
  readonly convWeights?: boolean;
}

/** What was written, for tests to compare against. */
export interface SyntheticLab {
  readonly dir: string;
  readonly summary: LabSummary;
  /** prune.json contents by stage folder. */
  readonly prunes: Record<string, PruneSummary>;
  /** history.json contents by stage folder. */
  readonly histories: Record<string, EpochRecord[]>;
}

/** Folder name of the sparsity training for `lambda`: `sparsity-1e-4`. */
export function sparsityDir(lambda: number): string {
  return `sparsity-${lambda === 0 ? "0" : lambda.toExponential().replace("e+", "e")}`;
}

/** Folder name of the prune at `ratio`: `prune-90`. */
export function pruneDir(ratio: number): string {
  return `prune-${Math.round(ratio * 100)}`;
}

/** Folder name of the fine-tune at `ratio`: `finetune-90`. */
export function finetuneDir(ratio: number): string {
  return `finetune-${Math.round(ratio * 100)}`;
}

function convs(cfg: readonly CfgItem[]): number[] {
  return cfg.filter((c): c is number => c !== "M");
}

/** Parameters and FLOPs (2 x multiply-adds per 32 x 32 image) of a CIFAR VGG. */
export function vggCost(cfg: readonly CfgItem[]): { params: number; flops: number } {
  let params = 0;
  let flops = 0;
  let channels = 3;
  let side = 32;
  for (const item of cfg) {
    if (item === "M") {
      side /= 2;
      continue;
    }
    params += channels * item * 9 + 2 * item;
    flops += 2 * channels * item * 9 * side * side;
    channels = item;
  }
  params += channels * 10 + 10;
  flops += 2 * channels * 10;
  return { params, flops };
}

function sampleGammas(rng: Rng, count: number, nearZeroShare: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = rng.next() < nearZeroShare
      ? rng.normal() * 0.004
      : Math.max(0.02, 0.45 + 0.15 * rng.normal()) * (rng.next() < 0.1 ? -1 : 1);
  }
  return out;
}

/** γ per BN layer for the `index`-th of `count` λ values (0 = least sparse). */
function layerGammas(cfg: readonly CfgItem[], rng: Rng, index: number, count: number) {
  const widths = convs(cfg);
  const share = count <= 1 ? 0.5 : (index / (count - 1)) * 0.7;
  const lastBlock = widths.length - 4;
  return widths.map((w, layer) =>
    sampleGammas(rng, w, index === count - 1 && layer >= lastBlock ? 0.97 : share)
  );
}

function checkpoint(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  rng: Rng,
  convWeights: boolean,
): Uint8Array {
  const tensors: Record<string, NamedArray> = {};
  let feature = 0;
  let inChannels = 3;
  let layer = 0;
  for (const item of cfg) {
    if (item === "M") {
      feature++;
      continue;
    }
    if (convWeights) {
      const conv = new Float32Array(item * inChannels * 9).map(() => rng.normal() * 0.05);
      tensors[`feature.${feature}.weight`] = f32([item, inChannels, 3, 3], conv);
    }
    const bn = feature + 1;
    tensors[`feature.${bn}.weight`] = f32([item], gammas[layer]);
    tensors[`feature.${bn}.bias`] = f32([item], new Float32Array(item).fill(0.01));
    tensors[`feature.${bn}.running_mean`] = f32([item], new Float32Array(item));
    tensors[`feature.${bn}.running_var`] = f32([item], new Float32Array(item).fill(1));
    inChannels = item;
    feature += 3;
    layer++;
  }
  tensors["classifier.weight"] = f32([10, inChannels], new Float32Array(10 * inChannels));
  tensors["classifier.bias"] = f32([10], new Float32Array(10));
  return encodeSafetensors(tensors, { cfg: JSON.stringify(cfg) });
}

function history(
  rng: Rng,
  epochs: number,
  start: number,
  end: number,
  speed: number,
): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const progress = 1 - Math.exp(-(i + 1) / speed);
    const test = start + (end - start) * progress + rng.normal() * 0.4;
    const train = Math.min(99.5, test + 2 + 4 * progress + rng.normal() * 0.3);
    return {
      epoch: i + 1,
      trainLoss: Number((2.3 * (1 - progress) + 0.05).toFixed(4)),
      trainAcc: Number(train.toFixed(2)),
      testLoss: Number((2.3 * (1 - progress) + 0.3).toFixed(4)),
      testAcc: Number(test.toFixed(2)),
      lr: 0.1,
      seconds: 30 + rng.next() * 5,
      imagesPerSecond: 1600 + rng.next() * 100,
    };
  });
}

function prune(
  cfg: readonly CfgItem[],
  gammas: Float32Array[],
  ratio: number,
  minChannels: number,
  testAccBefore: number,
  dir: string,
): PruneSummary {
  const all = gammas.flatMap((g) => Array.from(g, Math.abs)).sort((a, b) => a - b);
  const threshold = all[Math.min(all.length - 1, Math.floor(all.length * ratio))];
  const channelsBefore = gammas.map((g) => g.length);
  const above = gammas.map((g) => g.filter((v) => Math.abs(v) > threshold).length);
  const guardedLayers = above.flatMap((n, i) => n < minChannels ? [i] : []);
  const kept = above.map((n, i) => Math.min(channelsBefore[i], Math.max(n, minChannels)));
  let layer = 0;
  const slimCfg = cfg.map((item) => item === "M" ? item : kept[layer++]);
  const before = vggCost(cfg);
  const after = vggCost(slimCfg);
  const collapsed = ratio >= 0.85;
  return {
    ratio,
    threshold,
    minChannels,
    cfgBefore: [...cfg],
    cfg: slimCfg,
    kept,
    channelsBefore,
    guardedLayers,
    paramsBefore: before.params,
    paramsAfter: after.params,
    flopsBefore: before.flops,
    flopsAfter: after.flops,
    testAccBefore,
    maskedTestAcc: collapsed ? 10.37 : testAccBefore - 0.21,
    slimTestAcc: collapsed ? 10 : testAccBefore - 0.43,
    imagesPerSecondBefore: 2410.5,
    imagesPerSecondAfter: 2410.5 * (before.flops / after.flops) ** 0.6,
    checkpoint: `${dir}/pruned.safetensors`,
  };
}

/** Writes a synthetic lab into `dir` (created if needed). */
export async function writeSyntheticLab(
  dir: string,
  options: SyntheticLabOptions = {},
): Promise<SyntheticLab> {
  const cfg = options.cfg ?? QUARTER_VGG19;
  const lambdas = options.lambdas ?? [0, 1e-5, 1e-4];
  const ratios = options.ratios ?? [0.5, 0.9];
  const epochs = options.epochs ?? 12;
  const finetuneEpochs = options.finetuneEpochs ?? 8;
  const minChannels = options.minChannels ?? 4;
  const seed = options.seed ?? 7;
  const omit = new Set(options.omit ?? []);
  const pruneLambda = Math.max(...lambdas);
  const stages: LabStage[] = [];
  const prunes: Record<string, PruneSummary> = {};
  const histories: Record<string, EpochRecord[]> = {};
  const rng = createRng(seed, 1);
  await Deno.mkdir(dir, { recursive: true });

  const baseConfig = {
    cfg,
    depth: 19,
    width: 0.25,
    batchSize: 64,
    momentum: 0.9,
    weightDecay: 1e-4,
    seed,
    subset: 5000,
    testSubset: 1000,
    backend: "cpu",
    dataSource: "synthetic fixture",
    startedAt: "2026-01-02T03:04:05.000Z",
  };

  let pruneGammas: Float32Array[] = [];
  let pruneAccuracy = 0;
  for (const [index, lambda] of lambdas.entries()) {
    const stageDir = sparsityDir(lambda);
    const gammas = layerGammas(cfg, createRng(seed, 2, index), index, lambdas.length);
    const records = history(rng, epochs, 18, 86 - 2 * index, 3 + index);
    if (lambda === pruneLambda) {
      pruneGammas = gammas;
      pruneAccuracy = records.at(-1)!.testAcc;
    }
    const seconds = records.reduce((n, r) => n + r.seconds, 0);
    const skip = omit.has(stageDir);
    stages.push({
      name: `train ${sparsityDir(lambda).slice("sparsity-".length)}`,
      dir: stageDir,
      kind: "train",
      status: skip ? "pending" : "done",
      seconds: skip ? 0 : seconds,
      lambda,
    });
    if (skip) continue;
    const path = join(dir, stageDir);
    await Deno.mkdir(path, { recursive: true });
    const config: RunConfig = {
      ...baseConfig,
      command: "train",
      epochs,
      lr: 0.1,
      lambda,
      lrSteps: [Math.floor(epochs / 2), Math.floor((3 * epochs) / 4)],
    };
    await writeJsonAtomic(join(path, "config.json"), config);
    await writeJsonAtomic(join(path, "history.json"), records);
    histories[stageDir] = records;
    await Deno.writeFile(
      join(path, "last.safetensors"),
      checkpoint(cfg, gammas, rng, options.convWeights ?? true),
    );
  }

  for (const ratio of ratios) {
    const stageDir = pruneDir(ratio);
    const summary = prune(cfg, pruneGammas, ratio, minChannels, pruneAccuracy, stageDir);
    const skip = omit.has(stageDir);
    stages.push({
      name: `prune ${Math.round(ratio * 100)}%`,
      dir: stageDir,
      kind: "prune",
      status: skip ? "pending" : "done",
      seconds: skip ? 0 : 4.2,
      ratio,
    });
    if (skip) continue;
    await Deno.mkdir(join(dir, stageDir), { recursive: true });
    await writeJsonAtomic(join(dir, stageDir, "prune.json"), summary);
    prunes[stageDir] = summary;
  }

  for (const ratio of ratios) {
    const stageDir = finetuneDir(ratio);
    const slim = prune(cfg, pruneGammas, ratio, minChannels, pruneAccuracy, "").slimTestAcc;
    const records = history(rng, finetuneEpochs, slim, pruneAccuracy - 0.8 * ratio, 1.5);
    const skip = omit.has(stageDir);
    stages.push({
      name: `fine-tune ${Math.round(ratio * 100)}%`,
      dir: stageDir,
      kind: "finetune",
      status: skip ? "pending" : "done",
      seconds: skip ? 0 : records.reduce((n, r) => n + r.seconds, 0),
      ratio,
    });
    if (skip) continue;
    const path = join(dir, stageDir);
    await Deno.mkdir(path, { recursive: true });
    const config: RunConfig = {
      ...baseConfig,
      command: "finetune",
      epochs: finetuneEpochs,
      lr: 0.01,
      lambda: 0,
      lrSteps: [],
      checkpoint: `${pruneDir(ratio)}/pruned.safetensors`,
    };
    await writeJsonAtomic(join(path, "config.json"), config);
    await writeJsonAtomic(join(path, "history.json"), records);
    histories[stageDir] = records;
  }

  const largest = Math.max(...ratios);
  const summary: LabSummary = {
    profile: options.profile ?? "fixture",
    scaledDown: options.scaledDown ?? [
      "VGG-19 at a quarter of the width (16 to 128 channels instead of 64 to 512)",
      "5,000 training images instead of 50,000; 1,000 test images",
      `${epochs} sparsity epochs instead of 160; ${finetuneEpochs} fine-tune epochs instead of 160`,
    ],
    cfg,
    depth: 19,
    width: 0.25,
    lambdas,
    pruneLambda,
    ratios,
    seed,
    backend: "cpu",
    dataSource: "synthetic fixture",
    subset: 5000,
    epochs,
    finetuneEpochs,
    batchSize: 64,
    stages,
    events: options.events ?? [
      {
        stage: pruneDir(largest),
        kind: "guard",
        message: "min-channels guard fired on the last conv block",
      },
      {
        stage: pruneDir(largest),
        kind: "collapse",
        message: "slim model at chance accuracy before fine-tuning; continuing to fine-tune",
      },
    ],
    startedAt: "2026-01-02T03:04:05.000Z",
    finishedAt: "2026-01-02T05:06:07.000Z",
  };
  await writeJsonAtomic(join(dir, "lab.json"), summary);
  return { dir, summary, prunes, histories };
}
