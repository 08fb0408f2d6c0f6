/**
 * Per-layer channel keep masks from a threshold, with a guard against emptied layers.
 *
 * @module
 */
import type { VggParams } from "@slimming/vgg";
import { absGammas } from "./gammas.ts";
import { flooredMasks, guardFloor, raisedLayers } from "./_ranking.ts";
import { validateMinChannels } from "./_validate.ts";

/** Options of {@linkcode channelMasks}. */
export interface ChannelMaskOptions {
  /**
   * Fewest channels a layer keeps (default 1). A layer the threshold leaves with fewer keeps
   * its `minChannels` largest |gamma| instead (every channel if it has fewer). 0 turns the
   * guard off and gives the reference's pure threshold masks, which may empty a layer.
   */
  readonly minChannels?: number;
}

/** Keep masks per BN layer. */
export interface ChannelMasks {
  /** Per layer, per channel: true when the channel is kept. */
  readonly masks: boolean[][];
  /** Kept channels per layer. */
  readonly kept: number[];
  /** 0-based indices (in BN order) of the layers where the minChannels guard fired. */
  readonly guardedLayers: number[];
}

/** {@linkcode channelMasks} on |gamma| arrays already read. */
export function masksFromAbsGammas(
  abs: readonly Float32Array[],
  threshold: number,
  options: ChannelMaskOptions = {},
): ChannelMasks {
  const minChannels = validateMinChannels(options.minChannels ?? 1);
  const floors = abs.map((layer) => guardFloor(layer.length, minChannels));
  const { masks, kept, thresholdKept } = flooredMasks(abs, threshold, floors);
  return { masks, kept, guardedLayers: raisedLayers(thresholdKept, floors) };
}

/**
 * Per-layer keep masks: a channel is kept when `|gamma| > threshold`. A layer that would
 * keep fewer than `minChannels` keeps its `minChannels` largest |gamma| instead (ties to the
 * lower channel index) and is listed in `guardedLayers`. Reads the gammas synchronously.
 */
export function channelMasks(
  params: VggParams,
  threshold: number,
  options: ChannelMaskOptions = {},
): ChannelMasks {
  return masksFromAbsGammas(absGammas(params), threshold, options);
}
