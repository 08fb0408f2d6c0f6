/**
 * Global average pooling (an AvgPool whose window is the whole image, 'valid': ResNet's and
 * DenseNet's last pooling) and its gradient, on plain NHWC arrays, in JavaScript: one pass
 * each, where tfjs's generic pooling loops take hundreds of milliseconds for a batch.
 *
 * @module
 */
import type { Attrs } from "./backend_util.ts";
import type { Nhwc } from "./kernel_lib.ts";

/** Whether an AvgPool-family op on input `shape` pools each whole image ('valid'). */
export function isGlobalPool(attrs: Attrs, [, h, w]: Nhwc): boolean {
  const f = attrs.filterSize;
  const [fh, fw] = Array.isArray(f) ? f : [f, f];
  return fh === h && fw === w && attrs.pad === "valid";
}

/** Per-image channel means of `x`: [n, c] values (for an [n, 1, 1, c] tensor) into `out`. */
export function globalAvgPool(x: Float32Array, [n, h, w, c]: Nhwc, out: Float32Array): void {
  const hw = h * w;
  const acc = new Float64Array(c); // summed in double, like the stock kernel
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let p = 0; p < hw; p++) {
      const base = (i * hw + p) * c;
      for (let k = 0; k < c; k++) acc[k] += x[base + k];
    }
    for (let k = 0; k < c; k++) out[i * c + k] = acc[k] / hw;
  }
}

/** The gradient: dy [n, 1, 1, c] spread evenly over each image, into `dx` [n, h, w, c]. */
export function globalAvgPoolGrad(dy: Float32Array, [n, h, w, c]: Nhwc, dx: Float32Array): void {
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      const base = (i * hw + p) * c;
      for (let k = 0; k < c; k++) dx[base + k] = dy[i * c + k] / hw;
    }
  }
}
