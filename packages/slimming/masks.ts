/**
 * Per-layer channel keep masks from a threshold, with a guard against emptied layers.
 *
 * @module
 */
import type { VggParams } from "@slimming/vgg";
import { absGammas } from "./gammas.ts";
import { type ChannelMaskOptions, type ChannelMasks, masksFromAbsGammas } from "./selection.ts";

export { type ChannelMaskOptions, type ChannelMasks, masksFromAbsGammas } from "./selection.ts";

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
