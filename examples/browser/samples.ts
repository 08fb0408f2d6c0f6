/**
 * The test images the browser page classifies: the first N of the CIFAR-10 test set
 * (`--data`, else CIFAR10_PATH, else the shared archive), or synthetic look-alikes when
 * there is no archive.
 *
 * @module
 */
import { CIFAR10_CLASSES, loadCifar, syntheticCifar } from "@slimming/cifar";

/** Images in the CIFAR record layout (per image three 32x32 planes R, G, B) with labels. */
export interface Samples {
  readonly source: string;
  readonly count: number;
  /** count * 3072 bytes. */
  readonly pixels: Uint8Array;
  readonly labels: number[];
  readonly classes: readonly string[];
}

function existing(path: string | undefined): string | undefined {
  try {
    return path && Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The first `count` test images of the real archive, or synthetic ones without it. */
export async function loadSamples(count: number, data?: string): Promise<Samples> {
  const archive = existing(data) ?? existing(Deno.env.get("CIFAR10_PATH")) ??
    existing(new URL("../../../shared/datasets/cifar-10-binary.tar.gz", import.meta.url).pathname);
  const split = archive
    ? (await loadCifar(archive)).test
    : syntheticCifar({ trainPerClass: 1, testPerClass: Math.ceil(count / 10), seed: 1 }).test;
  const n = Math.min(count, split.count);
  return {
    source: archive ? `CIFAR-10 test set (${archive})` : "synthetic CIFAR-like images",
    count: n,
    pixels: split.images.slice(0, n * 3072),
    labels: Array.from(split.labels.slice(0, n)),
    classes: CIFAR10_CLASSES,
  };
}

/** The samples as JSON for the page (pixels base64). */
export function samplesJson(samples: Samples): string {
  let binary = "";
  for (const b of samples.pixels) binary += String.fromCharCode(b);
  return JSON.stringify({ ...samples, pixels: btoa(binary) });
}
