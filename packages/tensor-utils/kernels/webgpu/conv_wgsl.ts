/**
 * The 3x3 (stride 1, pad 1, NHWC, HWIO) convolution and its two gradients as implicit
 * GEMMs over {@linkcode gemmWgsl}: forward (pixels x Cout, K = 9 Cin), input gradient
 * (pixels x Cin, K = 9 Cout, the filter flipped) and filter gradient (9 Cin x Cout,
 * K = pixels, split across workgroups and summed by a second small kernel).
 *
 * @module
 */
import { bindings } from "./runtime.ts";
import { type GemmSpec, type GemmTiles, gemmTiles, gemmWgsl } from "./gemm_wgsl.ts";

/** Batch, height, width and channels of an NHWC tensor. */
export type Nhwc = readonly [number, number, number, number];

/** A generated GEMM shader and its launch size. */
export interface GemmShader {
  readonly spec: GemmSpec;
  readonly tiles: GemmTiles;
  readonly code: string;
}

function shader(spec: GemmSpec): GemmShader {
  const tiles = gemmTiles(spec.N);
  return { spec, tiles, code: gemmWgsl(spec, tiles) };
}

const dims = ([, h, w]: Nhwc, cin: number, cout: number) =>
  `const H = ${h}u;\nconst W = ${w}u;\nconst CIN = ${cin}u;\nconst COUT = ${cout}u;`;

/**
 * Value of `src` (channels `c`) at pixel `pixel` moved by tap (ky, kx) - 1, 0 outside the
 * image (WGSL statements ending in a return).
 */
function shiftedLoad(src: string, pixel: string, tap: string, channel: string, c: string) {
  return `let ky = ${tap} / 3u; let kx = ${tap} % 3u;
    let iy = i32((${pixel} / W) % H) + i32(ky) - 1;
    let ix = i32(${pixel} % W) + i32(kx) - 1;
    if (iy < 0 || iy >= i32(H) || ix < 0 || ix >= i32(W)) { return 0.0; }
    let q = u32(i32(${pixel}) + (i32(ky) - 1) * i32(W) + i32(kx) - 1);
    return ${src}[q * ${c} + ${channel}];`;
}

/**
 * Forward: out = conv(x, weight), then `epilogue` (WGSL expression of `v` and `n`, the output
 * channel; default `v`). `extraInputs` are bound after x and weight.
 */
export function convForwardShader(
  shape: Nhwc,
  cout: number,
  epilogue = "v",
  extraInputs: readonly string[] = [],
): GemmShader {
  const [n, h, w, cin] = shape;
  return shader({
    M: n * h * w,
    N: cout,
    K: 9 * cin,
    prelude: `${bindings(["x", "wt", ...extraInputs], ["out"])}\n${dims(shape, cin, cout)}`,
    loadA: `let ci = k % CIN; let tap = k / CIN; ${shiftedLoad("x", "m", "tap", "ci", "CIN")}`,
    loadB: `return wt[k * COUT + n];`,
    store: `out[m * COUT + n] = ${epilogue};`,
  });
}

/** Input gradient: dx = conv(dz, weight flipped, channels swapped). */
export function convGradInputShader(shape: Nhwc, cout: number): GemmShader {
  const [n, h, w, cin] = shape;
  return shader({
    M: n * h * w,
    N: cin,
    K: 9 * cout,
    prelude: `${bindings(["dz", "wt"], ["dx"])}\n${dims(shape, cin, cout)}`,
    loadA: `let co = k % COUT; let tap = k / COUT; ${shiftedLoad("dz", "m", "tap", "co", "COUT")}`,
    loadB: `let co = k % COUT; let tap = k / COUT;
    return wt[((8u - tap) * CIN + n) * COUT + co];`,
    store: `dx[m * CIN + n] = v;`,
  });
}

/** Splits of the filter gradient's pixel range: enough workgroups, chunks of >= 512 pixels. */
export function filterGradSplits(shape: Nhwc, cout: number): number {
  const [n, h, w, cin] = shape;
  const tiles = gemmTiles(cout);
  const groups = Math.ceil((9 * cin) / tiles.TM) * Math.ceil(cout / tiles.TN);
  return Math.max(1, Math.min(Math.ceil((n * h * w) / 512), Math.ceil(256 / groups)));
}

/**
 * Filter gradient dw[tap, ci, co] = sum_p x[p + tap, ci] dz[p, co]; with `splits` > 1 it
 * writes `splits` partial sums one after another (summed by {@linkcode sumSplitsWgsl}).
 */
export function convGradFilterShader(shape: Nhwc, cout: number, splits: number): GemmShader {
  const [n, h, w, cin] = shape;
  return shader({
    M: 9 * cin,
    N: cout,
    K: n * h * w,
    splits,
    prelude: `${bindings(["x", "dz"], ["dw"])}\n${dims(shape, cin, cout)}`,
    loadA: `let ci = m % CIN; let tap = m / CIN; ${shiftedLoad("x", "k", "tap", "ci", "CIN")}`,
    loadB: `return dz[k * COUT + n];`,
    store: `dw[(split * M + m) * N + n] = v;`,
  });
}

/** WGSL summing `splits` consecutive blocks of `size` floats of `part` into `out`. */
export function sumSplitsWgsl(size: number, splits: number): string {
  return `${bindings(["part"], ["out"])}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= ${size}u) { return; }
  var s = 0.0;
  for (var j = 0u; j < ${splits}u; j = j + 1u) { s = s + part[j * ${size}u + i]; }
  out[i] = s;
}`;
}
