/**
 * Where a run starts: a fresh model, or the last committed epoch of the run in its folder
 * (model, history and the matching optimizer state), after checking it was started with the
 * same options.
 *
 * @module
 */
import {
  CheckpointError,
  exists,
  readSafetensors,
  sha256Hex,
  UsageError,
} from "@slimming/tensor-utils";
import {
  datasetOf,
  type EpochRecord,
  readHistory,
  readRunConfig,
  RUN_FILES,
  type RunConfig,
  writeRunConfig,
} from "@slimming/run-format";
import { archInfoOfTag, type ModelParams, type ModelSpec } from "@slimming/architectures";
import { loadModel, loadOptimizer, saveModel } from "./checkpoint.ts";
import type { ProgressPrinter } from "./progress.ts";
import { disposeState, type TrainState } from "./train_step.ts";

const comparedOptions = [
  "command",
  "cfg",
  "epochs",
  "batchSize",
  "lr",
  "momentum",
  "weightDecay",
  "lambda",
  "seed",
  "arch",
  "growthRate",
  "subset",
  "imagesPerEpoch",
  "testSubset",
  "checkpoint",
  "teacher",
  "kdWeight",
  "kdTemperature",
] as const;

/** The model a run config describes. */
export function specOfConfig(config: RunConfig, source = RUN_FILES.config): ModelSpec {
  const info = archInfoOfTag(config.arch, source);
  return {
    arch: info.name,
    cfg: [...config.cfg],
    ...(!info.cfgHasDepth && config.depth !== undefined ? { depth: config.depth } : {}),
    ...(config.growthRate !== undefined ? { growthRate: config.growthRate } : {}),
  };
}

function checkSameConfig(saved: RunConfig, wanted: RunConfig, out: string): void {
  if (JSON.stringify(saved.cfg) !== JSON.stringify(wanted.cfg)) {
    throw new CheckpointError(
      `${out} holds a run of cfg ${JSON.stringify(saved.cfg)}, not ${
        JSON.stringify(wanted.cfg)
      }: cannot resume it`,
    );
  }
  // A config without a data set is an older CIFAR-10 run.
  if (datasetOf(saved) !== datasetOf(wanted)) {
    throw new UsageError(
      `${out} was started with --dataset ${datasetOf(saved)}, not ${
        datasetOf(wanted)
      }: resume with the same options or use another --out`,
    );
  }
  for (const key of comparedOptions) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(wanted[key])) {
      throw new UsageError(
        `${out} was started with ${key} ${JSON.stringify(saved[key])}, not ${
          JSON.stringify(wanted[key])
        }: resume with the same options or use another --out`,
      );
    }
  }
}

/** The state a run continues from. */
export interface ResumePoint {
  readonly state: TrainState;
  readonly history: EpochRecord[];
  /** Epochs already committed (0 for a fresh run). */
  readonly epoch: number;
}

async function loadResumePoint(out: string, config: RunConfig): Promise<ResumePoint> {
  const lastPath = `${out}/${RUN_FILES.last}`;
  const lastBytes = await Deno.readFile(lastPath);
  const { params, metadata } = await loadModel(lastPath, { expectedSpec: specOfConfig(config) });
  try {
    const epoch = Number(metadata.epoch);
    if (!Number.isSafeInteger(epoch) || epoch < 1) {
      throw new CheckpointError(`${lastPath}: no epoch in its metadata, cannot resume from it`);
    }
    const history = (await readHistory(out)) ?? [];
    if (history.length < epoch) {
      throw new CheckpointError(`${out}/${RUN_FILES.history} has fewer than ${epoch} epochs`);
    }
    const modelHash = await sha256Hex(lastBytes);
    for (const name of [RUN_FILES.optimizer, RUN_FILES.optimizerPrev]) {
      const path = `${out}/${name}`;
      if (!(await exists(path))) continue;
      const optimizer = await loadOptimizer(path, params);
      if (optimizer.metadata.epoch === String(epoch) && optimizer.metadata.model === modelHash) {
        return {
          state: { params, buffers: optimizer.buffers },
          history: history.slice(0, epoch),
          epoch,
        };
      }
      for (const b of optimizer.buffers ?? []) b.dispose();
    }
    throw new CheckpointError(
      `${out}: no optimizer state matches ${RUN_FILES.last} (epoch ${epoch})`,
    );
  } catch (error) {
    disposeState({ params, buffers: null });
    throw error;
  }
}

/**
 * The run's starting point: with a committed epoch in `out`, that epoch (only when `resume`,
 * else a UsageError; the saved config must match `config`); else the `initial` model, after
 * writing `config.json`.
 */
export async function startingPoint(
  out: string,
  config: RunConfig,
  resume: boolean,
  initial: () => ModelParams | Promise<ModelParams>,
  progress: ProgressPrinter,
): Promise<ResumePoint> {
  if (!(await exists(`${out}/${RUN_FILES.last}`))) {
    const point = { state: { params: await initial(), buffers: null }, history: [], epoch: 0 };
    await writeRunConfig(out, config);
    return point;
  }
  if (!resume) {
    throw new UsageError(
      `${out} already holds a run: pass --resume to continue it, or choose another --out`,
    );
  }
  const saved = await readRunConfig(out);
  if (saved) checkSameConfig(saved, config, out);
  const point = await loadResumePoint(out, config);
  progress.note(`resuming ${out} after epoch ${point.epoch}/${config.epochs}`);
  return point;
}

/**
 * Completes `best.safetensors` of a resumed run killed after committing its best epoch but
 * before copying it; resolves with the best test accuracy so far.
 */
export async function catchUpBest(
  out: string,
  history: readonly EpochRecord[],
  params: ModelParams,
): Promise<number> {
  const bestAcc = history.reduce((best, r) => Math.max(best, r.testAcc), -Infinity);
  if (history.length > 0 && history[history.length - 1].testAcc === bestAcc) {
    const bestPath = `${out}/${RUN_FILES.best}`;
    const bestEpoch = (await exists(bestPath))
      ? (await readSafetensors(bestPath)).metadata.epoch
      : undefined;
    if (bestEpoch !== String(history.length)) {
      await saveModel(bestPath, params, { epoch: String(history.length) });
    }
  }
  return bestAcc;
}
