/**
 * Shape checks for the JSON files of a runs folder, the one place the run format's records
 * are validated: the readers of `io.ts`, the report and the CLI's resume all go through
 * them. Each parser takes the parsed JSON and the file's path and either returns it typed
 * or throws a one-line {@linkcode DataError} naming the file and the field. Fields only
 * displayed are checked when present; a recorded `arch` must be a registered architecture.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";
import { ARCH_NAMES, isArchName } from "@slimming/architectures/info";
import { DATASET_TITLES } from "./dataset.ts";
import type {
  EpochRecord,
  LabEvent,
  LabInfo,
  LabStage,
  PruneSummary,
  RunConfig,
  SweepSummary,
} from "./records.ts";

type Json = Record<string, unknown>;

const stageKinds = new Set(["train", "sweep", "prune", "finetune", "report"]);
const stageStatuses = new Set(["done", "stopped", "failed", "pending"]);

function fail(path: string, why: string): never {
  throw new DataError(`${path}: ${why}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, path: string, what: string): Json {
  if (!isObject(value)) fail(path, `${what} should be a JSON object`);
  return value;
}

function expectNumbers(value: unknown, path: string, field: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "number")) {
    fail(path, `"${field}" should be a list of numbers`);
  }
  return value;
}

function checkOptional(
  object: Json,
  path: string,
  field: string,
  type: "string" | "number" | "array",
  where = "",
): void {
  const value = object[field];
  if (value === undefined || value === null) return;
  const ok = type === "array"
    ? Array.isArray(value)
    : type === "string"
    ? typeof value === "string"
    : typeof value === "number";
  if (!ok) fail(path, `${where}"${field}" should be ${type === "array" ? "a list" : `a ${type}`}`);
}

function parseStage(value: unknown, index: number, path: string): LabStage {
  const where = `stages[${index}]`;
  const stage = expectObject(value, path, where);
  for (const field of ["name", "dir", "kind", "status"]) {
    if (typeof stage[field] !== "string") fail(path, `${where}."${field}" should be a string`);
  }
  const dir = stage.dir as string;
  if (dir === "" || dir.startsWith("/") || dir.split(/[\\/]/).includes("..")) {
    fail(path, `${where}.dir "${dir}" must be a folder inside the lab`);
  }
  if (!stageKinds.has(stage.kind as string)) {
    fail(path, `${where}.kind "${stage.kind}" is not one of ${[...stageKinds].join(", ")}`);
  }
  if (!stageStatuses.has(stage.status as string)) {
    fail(path, `${where}.status "${stage.status}" is not one of ${[...stageStatuses].join(", ")}`);
  }
  for (const field of ["seconds", "lambda", "ratio", "epochs", "plannedEpochs"]) {
    checkOptional(stage, path, field, "number", `${where}.`);
  }
  return stage as unknown as LabStage;
}

function parseEvent(value: unknown, index: number, path: string): LabEvent {
  const event = expectObject(value, path, `events[${index}]`);
  for (const field of ["stage", "kind", "message"]) {
    if (typeof event[field] !== "string") {
      fail(path, `events[${index}]."${field}" should be a string`);
    }
  }
  return event as unknown as LabEvent;
}

/** A recorded data set must be one the report knows (absent: an older CIFAR-10 lab). */
function checkDataset(record: Json, path: string): void {
  const name = record.dataset;
  if (name !== undefined && !Object.hasOwn(DATASET_TITLES, name as string)) {
    fail(path, `"dataset" should be one of ${Object.keys(DATASET_TITLES).join(", ")}`);
  }
}

/** A recorded architecture must be a registered one (absent: the registry's untagged one). */
function checkArch(record: Json, path: string): void {
  if (record.arch !== undefined && !isArchName(record.arch)) {
    fail(path, `"arch" should be one of ${ARCH_NAMES.join(", ")}`);
  }
}

/** Checks `lab.json`: `stages`, `lambdas` and `ratios` are required; `events` defaults to []. */
export function parseLabInfo(json: unknown, path: string): LabInfo {
  const lab = expectObject(json, path, "lab.json");
  if (!Array.isArray(lab.stages)) fail(path, `"stages" should be a list`);
  const stages = lab.stages.map((s, i) => parseStage(s, i, path));
  if (lab.events !== undefined && !Array.isArray(lab.events)) {
    fail(path, `"events" should be a list`);
  }
  const events = ((lab.events ?? []) as unknown[]).map((e, i) => parseEvent(e, i, path));
  const lambdas = expectNumbers(lab.lambdas ?? [], path, "lambdas");
  const ratios = expectNumbers(lab.ratios ?? [], path, "ratios");
  for (const field of ["profile", "backend", "dataset", "dataSource", "startedAt", "finishedAt"]) {
    checkOptional(lab, path, field, "string");
  }
  checkDataset(lab, path);
  checkArch(lab, path);
  for (
    const field of [
      "depth",
      "width",
      "pruneLambda",
      "seed",
      "subset",
      "epochs",
      "finetuneEpochs",
      "batchSize",
      "imagesPerEpoch",
      "finetuneImagesPerEpoch",
    ]
  ) checkOptional(lab, path, field, "number");
  for (const field of ["scaledDown", "cfg"]) checkOptional(lab, path, field, "array");
  if (lab.plan !== undefined) {
    const plan = expectObject(lab.plan, path, "plan");
    checkOptional(plan, path, "reason", "string", "plan.");
  }
  return { ...lab, stages, events, lambdas, ratios } as LabInfo;
}

/** Checks `config.json`. */
export function parseRunConfig(json: unknown, path: string): RunConfig {
  const config = expectObject(json, path, "config.json");
  for (
    const field of ["epochs", "batchSize", "lr", "lambda", "seed", "kdWeight", "kdTemperature"]
  ) {
    checkOptional(config, path, field, "number");
  }
  checkOptional(config, path, "dataset", "string");
  checkOptional(config, path, "teacher", "string");
  checkDataset(config, path);
  checkArch(config, path);
  checkOptional(config, path, "cfg", "array");
  checkOptional(config, path, "lrSteps", "array");
  return config as unknown as RunConfig;
}

/**
 * Checks `history.json`: a list of epoch records with a numeric `epoch`. A loss or
 * accuracy may be `null` (JSON's spelling of a NaN or infinite value).
 */
export function parseHistory(json: unknown, path: string): EpochRecord[] {
  if (!Array.isArray(json)) fail(path, "history.json should be a list of epoch records");
  return json.map((value, i) => {
    const record = expectObject(value, path, `record ${i}`);
    if (typeof record.epoch !== "number") fail(path, `record ${i}: "epoch" should be a number`);
    for (const field of ["trainLoss", "trainAcc", "testLoss", "testAcc", "seconds"]) {
      const v = record[field];
      if (v !== undefined && v !== null && typeof v !== "number") {
        fail(path, `record ${i}: "${field}" should be a number`);
      }
    }
    return record as unknown as EpochRecord;
  });
}

/** Checks `prune.json`: numbers where numbers are expected, per-layer lists of equal length. */
export function parsePruneSummary(json: unknown, path: string): PruneSummary {
  const prune = expectObject(json, path, "prune.json");
  checkArch(prune, path);
  for (const field of ["ratio", "threshold"]) {
    if (typeof prune[field] !== "number") fail(path, `"${field}" should be a number`);
  }
  const kept = expectNumbers(prune.kept, path, "kept");
  const before = expectNumbers(prune.channelsBefore, path, "channelsBefore");
  if (kept.length !== before.length) {
    fail(path, `"kept" has ${kept.length} layers but "channelsBefore" has ${before.length}`);
  }
  const guarded = expectNumbers(prune.guardedLayers ?? [], path, "guardedLayers");
  const outside = guarded.find((i) => !Number.isInteger(i) || i < 0 || i >= kept.length);
  if (outside !== undefined) fail(path, `guarded layer ${outside} is not a layer index`);
  for (
    const field of [
      "minChannels",
      "paramsBefore",
      "paramsAfter",
      "flopsBefore",
      "flopsAfter",
      "testAccBefore",
      "maskedTestAcc",
      "slimTestAcc",
      "imagesPerSecondBefore",
      "imagesPerSecondAfter",
    ]
  ) checkOptional(prune, path, field, "number");
  return { ...prune, guardedLayers: guarded } as unknown as PruneSummary;
}

/** Checks a `sweep.json`: its layers, and each point's ratio, kept channels and accuracies. */
export function parseSweepSummary(json: unknown, path: string): SweepSummary {
  const sweep = expectObject(json, path, "sweep.json");
  checkArch(sweep, path);
  const before = expectNumbers(sweep.channelsBefore, path, "channelsBefore");
  for (const field of ["paramsBefore", "flopsBefore", "testAccBefore", "testImages"]) {
    if (typeof sweep[field] !== "number") fail(path, `"${field}" should be a number`);
  }
  if (!Array.isArray(sweep.points)) fail(path, `"points" should be a list`);
  sweep.points.forEach((value, i) => {
    const point = expectObject(value, path, `points[${i}]`);
    for (const field of ["ratio", "threshold", "paramsAfter", "flopsAfter", "slimTestAcc"]) {
      if (typeof point[field] !== "number") fail(path, `points[${i}].${field} should be a number`);
    }
    checkOptional(point, path, "recalibratedTestAcc", "number", `points[${i}].`);
    checkOptional(point, path, "imagesPerSecond", "number", `points[${i}].`);
    const kept = expectNumbers(point.kept, path, `points[${i}].kept`);
    if (kept.length !== before.length) {
      fail(
        path,
        `points[${i}].kept has ${kept.length} layers but "channelsBefore" ${before.length}`,
      );
    }
  });
  return sweep as unknown as SweepSummary;
}
