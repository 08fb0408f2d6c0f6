/**
 * A synthetic stand-in for CIFAR-10 (or, with `spec`, CIFAR-100) with learnable class
 * structure, for tests and smoke runs: each class has its own colour (hue by label % 10,
 * saturation by label / 10) and stripe pattern (angle and frequency by class), and each
 * image adds a random stripe phase, a brightness jitter and Gaussian pixel noise. On
 * CIFAR-10's ten classes a small CNN separates them within an epoch or two; a
 * nearest-class-mean of the average colour already does well (on CIFAR-100's hundred, far
 * above chance).
 *
 * @module
 */
import { createRng, permutation, type Rng } from "@slimming/tensor-utils/core";
import { type CifarData, type CifarSplit, IMAGE_BYTES, IMAGE_SIZE } from "./format.ts";
import { CIFAR10_SPEC, type CifarSpec } from "./spec.ts";
import { writeCifarArchive, writeCifarFolder } from "./write.ts";

/** Stream id of the synthetic generator. */
const SYNTHETIC_STREAM = 0xc1fa0004;

/** Options for {@linkcode syntheticCifar}. */
export interface SyntheticOptions {
  /** Training images per class (at least 1). */
  readonly trainPerClass: number;
  /** Test images per class (at least 1). */
  readonly testPerClass: number;
  /** Seed of the noise and the record order (default 0). */
  readonly seed?: number;
  /** Standard deviation of the pixel noise, in pixel units (default 24). */
  readonly noise?: number;
  /** The data set to imitate: its class count, coarse labels and file layout (default CIFAR-10). */
  readonly spec?: CifarSpec;
}

/**
 * The base colour (0-255 per channel) of a class: hue `36 * (label % 10)` degrees, and
 * saturation 0.65 for labels 0-9 (CIFAR-10's ten classes), one of 0.2, 0.25, ..., 0.6 for
 * each further group of ten labels (CIFAR-100), so every class has its own mean colour.
 */
export function classColour(label: number): [number, number, number] {
  const group = Math.floor(label / 10) % 10;
  const h = ((label % 10) * 36) / 60, s = group === 0 ? 0.65 : 0.15 + 0.05 * group, v = 0.75;
  const c = v * s, x = c * (1 - Math.abs((h % 2) - 1)), m = v - c;
  const [r, g, b] = h < 1
    ? [c, x, 0]
    : h < 2
    ? [x, c, 0]
    : h < 3
    ? [0, c, x]
    : h < 4
    ? [0, x, c]
    : h < 5
    ? [x, 0, c]
    : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

function drawImage(
  label: number,
  rng: Rng,
  noise: number,
  out: Uint8Array,
  at: number,
): void {
  const colour = classColour(label);
  const angle = ((label % 5) * Math.PI) / 5;
  const frequency = 2 * (1 + (Math.floor(label / 5) % 4)); // CIFAR-10: 2 for labels 0-4, else 4
  const kx = (2 * Math.PI * frequency * Math.cos(angle)) / IMAGE_SIZE;
  const ky = (2 * Math.PI * frequency * Math.sin(angle)) / IMAGE_SIZE;
  const phase = rng.next() * 2 * Math.PI;
  const brightness = (rng.next() - 0.5) * 40;
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const stripe = 45 * Math.sin(kx * x + ky * y + phase);
      for (let c = 0; c < 3; c++) {
        const value = colour[c] + brightness + (c === label % 3 ? stripe : 0.4 * stripe) +
          noise * rng.normal();
        out[at + c * plane + y * IMAGE_SIZE + x] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
}

function syntheticSplit(
  spec: CifarSpec,
  perClass: number,
  seed: number,
  which: number,
  noise: number,
): CifarSplit {
  const classes = spec.classCount;
  const count = perClass * classes;
  const order = permutation(count, createRng(seed, SYNTHETIC_STREAM, which, 0));
  const rng = createRng(seed, SYNTHETIC_STREAM, which, 1);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = order[i] % classes;
    labels[i] = label;
    drawImage(label, rng, noise, images, i * IMAGE_BYTES);
  }
  if (!spec.coarse) return { images, labels, count };
  // Consecutive fine classes share a superclass (the real grouping differs; the layout is what matters).
  const coarseCount = spec.coarse.classCount;
  const coarseLabels = labels.map((label) => Math.floor((label * coarseCount) / classes));
  return { images, labels, coarseLabels, count };
}

/** A synthetic data set with `trainPerClass` and `testPerClass` images of each class, deterministic for the seed. */
export function syntheticCifar(options: SyntheticOptions): CifarData {
  const { trainPerClass, testPerClass, seed = 0, noise = 24, spec = CIFAR10_SPEC } = options;
  for (const [name, value] of [["trainPerClass", trainPerClass], ["testPerClass", testPerClass]]) {
    if (!Number.isSafeInteger(value) || (value as number) < 1) {
      throw new RangeError(`syntheticCifar: ${name} must be a positive integer, got ${value}`);
    }
  }
  return {
    train: syntheticSplit(spec, trainPerClass, seed, 0, noise),
    test: syntheticSplit(spec, testPerClass, seed, 1, noise),
    classNames: [...spec.classNames],
    ...(spec.coarse ? { coarseClassNames: [...spec.coarse.classNames] } : {}),
  };
}

/** Writes a synthetic data set as a `.tar.gz` with the official member names of `options.spec`; returns the data written. */
export async function writeSyntheticArchive(
  path: string,
  options: SyntheticOptions,
): Promise<CifarData> {
  const data = syntheticCifar(options);
  await writeCifarArchive(path, data, options.spec);
  return data;
}

/** Writes a synthetic data set as `<dir>/<spec folder>/` (`cifar-10-batches-bin/`, ...); returns the data written. */
export async function writeSyntheticFolder(
  dir: string,
  options: SyntheticOptions,
): Promise<CifarData> {
  const data = syntheticCifar(options);
  await writeCifarFolder(dir, data, options.spec);
  return data;
}
