/**
 * Reading a checkpoint's tensors by name with the checks every model's `fromStateDict`
 * makes: present, F32 and of the shape its cfg needs, else a one-line CheckpointError naming
 * the tensor; and the reference's channel-selection vectors (`select.indexes`).
 *
 * @module
 */
import { CheckpointError } from "./errors.ts";
import type { SafetensorsFile } from "./safetensors.ts";

/** Reads F32 tensors of `file` by name and expected shape, remembering the names read. */
export interface StateDictReader {
  /** The values of tensor `key`, checked to be F32 of `shape`. */
  take(key: string, shape: readonly number[]): Float32Array;
  /** Marks `key` as read without reading it (e.g. `num_batches_tracked`). */
  skip(key: string): void;
  /**
   * Throws a one-line CheckpointError naming the first tensor of the file that was never
   * read nor skipped ("unexpected tensor NAME for WHAT").
   */
  rejectUnread(what: string): void;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A reader over `file`; `source` names the file in error messages. */
export function stateDictReader(file: SafetensorsFile, source: string): StateDictReader {
  const used = new Set<string>();
  return {
    take(key, shape) {
      const entry = file.tensors[key];
      if (!entry) throw new CheckpointError(`${source}: missing tensor ${key}`);
      if (entry.dtype !== "F32") {
        throw new CheckpointError(`${source}: ${key} is ${entry.dtype}, not F32`);
      }
      if (!sameShape(entry.shape, shape)) {
        throw new CheckpointError(
          `${source}: ${key} has shape [${entry.shape}], the cfg needs [${shape}]`,
        );
      }
      used.add(key);
      return entry.data as Float32Array;
    },
    skip(key) {
      if (file.tensors[key]) used.add(key);
    },
    rejectUnread(what) {
      const extra = Object.keys(file.tensors).find((k) => !used.has(k));
      if (extra === undefined) return;
      // The name comes from the file: escape line breaks so the message stays on one line.
      const name = JSON.stringify(extra).slice(1, -1);
      throw new CheckpointError(`${source}: unexpected tensor ${name} for ${what}`);
    },
  };
}

/**
 * The kept channel indices of a 0/1 selection vector (`select.indexes`) that must hold
 * `count` ones; anything else is a one-line CheckpointError.
 */
export function selectedChannels(
  indexes: Float32Array,
  count: number,
  key: string,
  source: string,
): number[] {
  const selected: number[] = [];
  for (const [c, v] of indexes.entries()) {
    if (v !== 0 && v !== 1) throw new CheckpointError(`${source}: ${key} holds ${v}, not 0 or 1`);
    if (v === 1) selected.push(c);
  }
  if (selected.length !== count) {
    throw new CheckpointError(
      `${source}: ${key} selects ${selected.length} channels, the cfg says ${count}`,
    );
  }
  return selected;
}
