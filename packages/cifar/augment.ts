/**
 * The reference's training augmentation, `RandomCrop(32, padding=4)` then
 * `RandomHorizontalFlip()`, as explicit per-image transforms. Padding is zero bytes of
 * the raw image, like torchvision's default `fill=0` before `ToTensor`/`Normalize`.
 *
 * @module
 */
import type { Rng } from "@slimming/tensor-utils/core";
import { IMAGE_BYTES, IMAGE_SIZE } from "./format.ts";

/** Zero padding added on each side before the random 32x32 crop. */
export const CROP_PADDING = 4;

/**
 * Where the 32x32 crop starts in the padded 40x40 image (`top`, `left` in 0-8; 4 and 4
 * is the unshifted image), and whether the crop is then mirrored left to right.
 */
export interface ImageTransform {
  /** First row of the crop in the padded image, 0 to 8. */
  readonly top: number;
  /** First column of the crop in the padded image, 0 to 8. */
  readonly left: number;
  /** Mirror left to right after cropping. */
  readonly flip: boolean;
}

/** The transform that changes nothing. */
export const IDENTITY_TRANSFORM: ImageTransform = {
  top: CROP_PADDING,
  left: CROP_PADDING,
  flip: false,
};

/** Draws a crop position (row, then column, each uniform in 0-8) and a flip (p = 0.5). */
export function drawTransform(rng: Rng): ImageTransform {
  const top = rng.int(2 * CROP_PADDING + 1);
  const left = rng.int(2 * CROP_PADDING + 1);
  return { top, left, flip: rng.next() < 0.5 };
}

/**
 * Applies a transform to one raw image (3072 bytes, CHW planes) and returns the new raw
 * image: pixels from outside the original are 0. The plain, slow reference for the fast
 * batch builder.
 */
export function transformImage(image: Uint8Array, transform: ImageTransform): Uint8Array {
  const out = new Uint8Array(IMAGE_BYTES);
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < IMAGE_SIZE; y++) {
      for (let x = 0; x < IMAGE_SIZE; x++) {
        const cropX = transform.flip ? IMAGE_SIZE - 1 - x : x;
        const sy = y + transform.top - CROP_PADDING;
        const sx = cropX + transform.left - CROP_PADDING;
        const inside = sy >= 0 && sy < IMAGE_SIZE && sx >= 0 && sx < IMAGE_SIZE;
        out[c * plane + y * IMAGE_SIZE + x] = inside ? image[c * plane + sy * IMAGE_SIZE + sx] : 0;
      }
    }
  }
  return out;
}
