/**
 * The BN scaling factors γ of a checkpoint. In the PyTorch reference layout of all three
 * architectures the only 1-D `*.weight` tensors are BN scales (VGG's `feature.<i>`, ResNet's
 * `layer1.0.bn1`, DenseNet's `dense1.0.bn1`, the final `bn`): conv weights are 4-D and the
 * linear head's 2-D, so the rank tells them apart.
 *
 * @module
 */
import { readSafetensors, type SafetensorsFile } from "@slimming/tensor-utils/core";
import type { LayerGammas } from "./lab_types.ts";

const collator = new Intl.Collator("en", { numeric: true });

/**
 * The γ of every BN layer of a decoded checkpoint, ordered by name with numbers compared as
 * numbers (`feature.2` before `feature.10`: VGG's network order).
 */
export function bnGammas(file: SafetensorsFile): LayerGammas[] {
  const layers: LayerGammas[] = [];
  for (const [name, array] of Object.entries(file.tensors)) {
    if (!name.endsWith(".weight") || array.shape.length !== 1) continue;
    if (!(array.data instanceof Float32Array || array.data instanceof Float64Array)) continue;
    layers.push({ name, values: Float32Array.from(array.data) });
  }
  return layers.sort((a, b) => collator.compare(a.name, b.name));
}

/** Reads a checkpoint and returns its BN γ (see {@linkcode bnGammas}). */
export async function readBnGammas(path: string): Promise<LayerGammas[]> {
  return bnGammas(await readSafetensors(path));
}

/** |γ| of all layers, concatenated. */
export function absoluteGammas(layers: readonly LayerGammas[]): Float64Array {
  const total = layers.reduce((n, layer) => n + layer.values.length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const layer of layers) {
    for (const value of layer.values) out[at++] = Math.abs(value);
  }
  return out;
}
