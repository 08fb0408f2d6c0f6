/**
 * Reads a runs folder into {@linkcode LabData}. Pure reading: nothing is written. A stage
 * whose folder or files are missing is "not run"; a file that exists but is not valid JSON,
 * or a lab.json of the wrong shape, is a {@linkcode DataError}.
 *
 * @module
 */
import { join } from "node:path";
import { DataError, exists } from "@slimming/tensor-utils/core";
import {
  LAB_FILES,
  parseHistory,
  parseLabInfo,
  parsePruneSummary,
  parseRunConfig,
  parseSweepSummary,
  PRUNE_FILES,
  RUN_FILES,
  SWEEP_FILES,
} from "@slimming/run-format";
import { readBnGammas } from "./gammas.ts";
import type {
  FinetuneResult,
  LabData,
  LabInfo,
  LabStage,
  PruneResult,
  SparsityResult,
  SweepResult,
  TrainingRun,
} from "./lab_types.ts";

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** Parsed JSON of `path`, or `undefined` when the file does not exist. */
async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new DataError(`cannot read ${path}: ${firstLine(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(`${path}: invalid JSON (${firstLine(error)})`);
  }
}

async function readTrainingRun(dir: string, withGammas: boolean): Promise<TrainingRun | undefined> {
  const configPath = join(dir, RUN_FILES.config);
  const historyPath = join(dir, RUN_FILES.history);
  const configJson = await readJson(configPath);
  const historyJson = await readJson(historyPath);
  if (configJson === undefined && historyJson === undefined) return undefined;
  const run = {
    dir,
    config: configJson === undefined ? undefined : parseRunConfig(configJson, configPath),
    history: historyJson === undefined ? [] : parseHistory(historyJson, historyPath),
  };
  if (!withGammas) return run;
  const checkpoint = join(dir, RUN_FILES.last);
  if (!(await exists(checkpoint))) {
    return { ...run, gammaProblem: `no checkpoint ${checkpoint}` };
  }
  try {
    return { ...run, gammas: await readBnGammas(checkpoint) };
  } catch (error) {
    return { ...run, gammaProblem: firstLine(error) };
  }
}

function sameValue(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
}

function unique(values: number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (!out.some((o) => sameValue(o, v))) out.push(v);
  return out;
}

function stagesOf(info: LabInfo, kind: LabStage["kind"]): LabStage[] {
  return info.stages.filter((stage) => stage.kind === kind);
}

/** Reads `lab.json` of `runsDir` alone (a {@linkcode DataError} when missing or malformed). */
export async function readLabInfo(runsDir: string): Promise<LabInfo> {
  const stat = await Deno.stat(runsDir).catch(() => undefined);
  if (stat === undefined || !stat.isDirectory) {
    throw new DataError(`runs folder ${runsDir} does not exist`);
  }
  const path = join(runsDir, LAB_FILES.summary);
  const json = await readJson(path);
  if (json === undefined) throw new DataError(`no lab.json in ${runsDir} (not a lab folder)`);
  return parseLabInfo(json, path);
}

/** Reads a lab folder: lab.json and, for every planned stage, whatever it left behind. */
export async function loadLab(runsDir: string): Promise<LabData> {
  const info = await readLabInfo(runsDir);
  const trains = stagesOf(info, "train");
  const prunes = stagesOf(info, "prune");
  const finetunes = stagesOf(info, "finetune");

  const lambdas = unique([
    ...info.lambdas,
    ...trains.flatMap((s) => s.lambda === undefined ? [] : [s.lambda]),
  ]);
  const ratios = unique([
    ...info.ratios,
    ...[...prunes, ...finetunes].flatMap((s) => s.ratio === undefined ? [] : [s.ratio]),
  ]);

  const sparsity: SparsityResult[] = [];
  for (const lambda of lambdas) {
    const stage = trains.find((s) => sameValue(s.lambda, lambda));
    const run = stage && await readTrainingRun(join(runsDir, stage.dir), true);
    sparsity.push({ lambda, stage, run });
  }
  const pruneResults: PruneResult[] = [];
  const finetuneResults: FinetuneResult[] = [];
  for (const ratio of ratios) {
    const pruneStage = prunes.find((s) => sameValue(s.ratio, ratio));
    let summary;
    if (pruneStage) {
      const path = join(runsDir, pruneStage.dir, PRUNE_FILES.summary);
      const json = await readJson(path);
      summary = json === undefined ? undefined : parsePruneSummary(json, path);
    }
    pruneResults.push({ ratio, stage: pruneStage, summary });
    const finetuneStage = finetunes.find((s) => sameValue(s.ratio, ratio));
    const run = finetuneStage && await readTrainingRun(join(runsDir, finetuneStage.dir), false);
    finetuneResults.push({ ratio, stage: finetuneStage, run });
  }
  const sweeps: SweepResult[] = [];
  for (const lambda of lambdas) {
    const stage = stagesOf(info, "sweep").find((s) => sameValue(s.lambda, lambda));
    if (stage === undefined) continue;
    const path = join(runsDir, stage.dir, SWEEP_FILES.summary);
    const json = await readJson(path);
    sweeps.push({
      lambda,
      stage,
      summary: json === undefined ? undefined : parseSweepSummary(json, path),
    });
  }
  const pruneLambda = info.pruneLambda ?? (lambdas.length > 0 ? Math.max(...lambdas) : undefined);
  return {
    runsDir,
    info,
    sparsity,
    prunes: pruneResults,
    finetunes: finetuneResults,
    sweeps,
    pruneLambda,
    events: info.events,
  };
}
