/**
 * The BN scaling factors γ of a checkpoint. In the PyTorch reference layout the BN layers
 * are `feature.<i>` modules whose `weight` is 1-D; conv weights share the name pattern but
 * are 4-D, so the rank tells them apart.
 *
 * @module
 */
import { readSafetensors, type SafetensorsFile } from "@slimming/tensor-utils/core";
import type { LayerGammas } from "./lab_types.ts";

const featureWeight = /^feature\.(\d+)\.weight$/;

/** The γ of every BN layer of a decoded checkpoint, in network (feature index) order. */
export function bnGammas(file: SafetensorsFile): LayerGammas[] {
  const layers: Array<{ index: number; gammas: LayerGammas }> = [];
  for (const [name, array] of Object.entries(file.tensors)) {
    const match = featureWeight.exec(name);
    if (match === null || array.shape.length !== 1) continue;
    if (!(array.data instanceof Float32Array || array.data instanceof Float64Array)) continue;
    layers.push({
      index: Number(match[1]),
      gammas: { name, values: Float32Array.from(array.data) },
    });
  }
  return layers.sort((a, b) => a.index - b.index).map((layer) => layer.gammas);
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
