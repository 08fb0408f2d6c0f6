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

/** rowInfo of an output pixel m: (y, x, m, 1); far outside the image when m >= M. */
const PIXEL_ROW = `if (m >= M) { return vec4<i32>(-65536, -65536, 0, 0); }
    return vec4<i32>(i32((m / W) % H), i32(m % W), i32(m), 1);`;

/** loadA of `src` (`c` channels) at row r's pixel moved by tap (k / c) - 1, channel k % c. */
function shiftedLoad(src: string, c: string): string {
  return `let ch = k % ${c}; let tap = k / ${c};
    let dy = i32(tap / 3u) - 1; let dx = i32(tap % 3u) - 1;
    let iy = r.x + dy; let ix = r.y + dx;
    if (iy < 0 || iy >= i32(H) || ix < 0 || ix >= i32(W)) { return 0.0; }
    return ${src}[u32(r.z + dy * i32(W) + dx) * ${c} + ch];`;
}

/** loadA4 of `src` bound as vec4 (`c` channels, a multiple of 4; k a multiple of 4). */
function shiftedLoad4(src: string, c: string): string {
  return `let ch = k % ${c}; let tap = k / ${c};
    let dy = i32(tap / 3u) - 1; let dx = i32(tap % 3u) - 1;
    let iy = r.x + dy; let ix = r.y + dx;
    if (iy < 0 || iy >= i32(H) || ix < 0 || ix >= i32(W)) { return vec4<f32>(0.0); }
    return ${src}[(u32(r.z + dy * i32(W) + dx) * ${c} + ch) / 4u];`;
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
    prelude: `${bindings([cin % 4 === 0 ? "x:vec4" : "x", "wt", ...extraInputs], ["out"])}\n${
      dims(shape, cin, cout)
    }`,
    rowInfo: PIXEL_ROW,
    loadA: cin % 4 === 0 ? "return 0.0;" : shiftedLoad("x", "CIN"),
    loadA4: cin % 4 === 0 ? shiftedLoad4("x", "CIN") : undefined,
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
    prelude: `${bindings([cout % 4 === 0 ? "dz:vec4" : "dz", "wt"], ["dx"])}\n${
      dims(shape, cin, cout)
    }`,
    rowInfo: PIXEL_ROW,
    loadA: cout % 4 === 0 ? "return 0.0;" : shiftedLoad("dz", "COUT"),
    loadA4: cout % 4 === 0 ? shiftedLoad4("dz", "COUT") : undefined,
    loadB: `let co = k % COUT; let tap = k / COUT;
    return wt[((8u - tap) * CIN + n) * COUT + co];`,
    store: `dx[m * CIN + n] = v;`,
  });
}

/** Bounds check of pixel k moved by (r.x, r.y): returns `zero` outside the image. */
const PIXEL_BOUNDS = (zero: string) =>
  `let iy = i32((k / W) % H) + r.x; let ix = i32(k % W) + r.y;
    if (iy < 0 || iy >= i32(H) || ix < 0 || ix >= i32(W)) { return ${zero}; }`;

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
    prelude: `${bindings([cin % 4 === 0 ? "x:vec4" : "x", "dz"], ["dw"])}\n${
      dims(shape, cin, cout)
    }`,
    // Row m = (tap, ci): (dy, dx, ci, 1); K runs over pixels.
    rowInfo: `if (m >= M) { return vec4<i32>(-65536, 0, 0, 0); }
    let tap = m / CIN;
    return vec4<i32>(i32(tap / 3u) - 1, i32(tap % 3u) - 1, i32(m % CIN), 1);`,
    loadA: cin % 4 === 0 ? "return 0.0;" : `${PIXEL_BOUNDS("0.0")}
    return x[u32(i32(k) + r.x * i32(W) + r.y) * CIN + u32(r.z)];`,
    // Four consecutive rows: channels ci..ci+3 of one tap.
    loadA4m: cin % 4 === 0
      ? `${PIXEL_BOUNDS("vec4<f32>(0.0)")}
    return x[(u32(i32(k) + r.x * i32(W) + r.y) * CIN + u32(r.z)) / 4u];`
      : undefined,
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
