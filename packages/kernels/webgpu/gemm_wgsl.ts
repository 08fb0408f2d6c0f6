/**
 * WGSL of a tiled GEMM, C[m, n] = sum_k A(m, k) B(k, n), whose operands are functions (so
 * one generator gives the implicit-GEMM convolutions). Each workgroup owns a TM x TN tile
 * and walks K in TK-deep slices staged in workgroup memory; invocation t owns rows
 * t, t + T, ... (RM of them, T = TM / RM invocations) and all TN columns, in registers
 * (unrolled scalars). A row's index arithmetic (`rowInfo`) is done once, outside the K
 * loop; the K index of a staged element is the same for every invocation (workgroup
 * uniform), and so is every read of the B slice, which a SIMD implementation (llvmpipe)
 * turns into broadcasts. The K range may be split across workgroups (z).
 *
 * @module
 */

/** What a GEMM computes; sizes are baked into the shader as constants. */
export interface GemmSpec {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Workgroups along z, each summing K / splits of the range (default 1). */
  readonly splits?: number;
  /** WGSL declarations (bindings, constants, helpers) the functions below use. */
  readonly prelude: string;
  /** Body of `fn rowInfo(m: u32) -> vec4<i32>`: what loadA needs of row m (m may be >= M). */
  readonly rowInfo: string;
  /** Body of `fn loadA(r: vec4<i32>, k: u32) -> f32` (k < K; 0 for a row m >= M). */
  readonly loadA: string;
  /**
   * Optional body of `fn loadA4(r: vec4<i32>, k: u32) -> vec4<f32>`, A(m, k..k+3) in one
   * load; used when given (K and the split length must then be multiples of 4).
   */
  readonly loadA4?: string;
  /**
   * Optional body of `fn loadA4m(r: vec4<i32>, k: u32) -> vec4<f32>`, A(m..m+3, k) in one
   * load where r = rowInfo(m), m a multiple of 4; used when given (M a multiple of 4). An
   * invocation then owns RM consecutive rows.
   */
  readonly loadA4m?: string;
  /** Body of `fn loadB(k: u32, n: u32) -> f32`, called with k < K and n < N. */
  readonly loadB: string;
  /** Body of `fn store(m: u32, n: u32, split: u32, v: f32)`, called with m < M, n < N. */
  readonly store: string;
}

/** Tile sizes of a GEMM shader. */
export interface GemmTiles {
  readonly TM: number;
  readonly TN: number;
  readonly TK: number;
  readonly RM: number;
}

/**
 * Tiles for N output columns: 64 rows (8 per invocation, 8 invocations) by up to 32
 * columns, 16 deep. Chosen on llvmpipe (CPU time per kernel at VGG-19 x0.125 shapes, batch
 * 64): 8 rows per invocation beat 4 by ~1.4x and 16 (or 64 columns) spill; unmeasured on a
 * GPU, where more invocations per workgroup may pay.
 */
export function gemmTiles(n: number): GemmTiles {
  const TN = n <= 4 ? 4 : n <= 8 ? 8 : n <= 16 ? 16 : 32;
  return { TM: 64, TN, TK: 16, RM: 8 };
}

/** The dispatch size of `spec` with `tiles`. */
export function gemmGroups(spec: GemmSpec, tiles: GemmTiles): [number, number, number] {
  return [Math.ceil(spec.M / tiles.TM), Math.ceil(spec.N / tiles.TN), spec.splits ?? 1];
}

/** The K range each split sums (a multiple of TK). */
export function splitLength(spec: GemmSpec, tiles: GemmTiles): number {
  const splits = spec.splits ?? 1;
  return Math.ceil(Math.ceil(spec.K / splits) / tiles.TK) * tiles.TK;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Staging of the A slice, one element per load. */
function stageA(TM: number, TK: number, T: number, RM: number): string {
  return `for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {
      let k = k0 + kk;
      let live = k < kEnd;
      ${
    range(RM).map((r) =>
      `As[kk * ${TM}u + t + ${r * T}u] = select(0.0, loadA(row${r}, min(k, K - 1u)), live);`
    ).join("\n      ")
  }
    }`;
}

/** Staging of the A slice, four consecutive rows per load (rows t RM + r). */
function stageA4m(TM: number, TK: number, RM: number): string {
  return `for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {
      let k = k0 + kk;
      let live = k < kEnd;
      ${
    range(RM / 4).map((q) =>
      `let v${q} = select(vec4<f32>(0.0), loadA4m(row${q}, min(k, K - 1u)), live);
      As[kk * ${TM}u + t * ${RM}u + ${4 * q}u] = v${q}.x;
      As[kk * ${TM}u + t * ${RM}u + ${4 * q + 1}u] = v${q}.y;
      As[kk * ${TM}u + t * ${RM}u + ${4 * q + 2}u] = v${q}.z;
      As[kk * ${TM}u + t * ${RM}u + ${4 * q + 3}u] = v${q}.w;`
    ).join("\n      ")
  }
    }`;
}

/** Staging of the A slice, four K-consecutive elements per load. */
function stageA4(TM: number, TK: number, T: number, RM: number): string {
  return `for (var kk = 0u; kk < ${TK}u; kk = kk + 4u) {
      let k = k0 + kk;
      let live = k < kEnd;
      ${
    range(RM).map((r) =>
      `let v${r} = select(vec4<f32>(0.0), loadA4(row${r}, min(k, K - 4u)), live);
      As[kk * ${TM}u + t + ${r * T}u] = v${r}.x;
      As[(kk + 1u) * ${TM}u + t + ${r * T}u] = v${r}.y;
      As[(kk + 2u) * ${TM}u + t + ${r * T}u] = v${r}.z;
      As[(kk + 3u) * ${TM}u + t + ${r * T}u] = v${r}.w;`
    ).join("\n      ")
  }
    }`;
}

/** WGSL of `spec` with `tiles` (one template, kept whole so the shader reads top to bottom). */
export function gemmWgsl(spec: GemmSpec, tiles: GemmTiles): string {
  const { TM, TN, TK, RM } = tiles;
  const T = TM / RM;
  const chunk = splitLength(spec, tiles);
  const cells = range(RM).flatMap((r) => range(TN).map((s) => [r, s] as const));
  // Offset of an invocation's row r in the tile: strided (t + r T) or consecutive (t RM + r).
  const rowAt = (r: number) => spec.loadA4m ? `t * ${RM}u + ${r}u` : `t + ${r * T}u`;
  const lines = (f: (i: number) => string, n: number) => range(n).map(f).join("\n  ");
  return `
const M = ${spec.M}u;
const N = ${spec.N}u;
const K = ${spec.K}u;
${spec.prelude}
fn rowInfo(m: u32) -> vec4<i32> { ${spec.rowInfo} }
fn loadA(r: vec4<i32>, k: u32) -> f32 { ${spec.loadA} }
${spec.loadA4 ? `fn loadA4(r: vec4<i32>, k: u32) -> vec4<f32> { ${spec.loadA4} }` : ""}
${spec.loadA4m ? `fn loadA4m(r: vec4<i32>, k: u32) -> vec4<f32> { ${spec.loadA4m} }` : ""}
fn loadB(k: u32, n: u32) -> f32 { ${spec.loadB} }
fn store(m: u32, n: u32, split: u32, v: f32) { ${spec.store} }
var<workgroup> As: array<f32, ${TM * TK}>;
var<workgroup> Bs: array<f32, ${TN * TK}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let m0 = wg.x * ${TM}u;
  let n0 = wg.y * ${TN}u;
  let kBegin = wg.z * ${chunk}u;
  let kEnd = min(K, kBegin + ${chunk}u);
  ${
    spec.loadA4m
      ? lines((q) => `let row${q} = rowInfo(m0 + ${rowAt(4 * q)});`, RM / 4)
      : lines((r) => `let row${r} = rowInfo(m0 + ${rowAt(r)});`, RM)
  }
  ${cells.map(([r, s]) => `var c${r}_${s} = 0.0;`).join("\n  ")}
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${TK}u) {
    ${
    spec.loadA4m
      ? stageA4m(TM, TK, RM)
      : spec.loadA4
      ? stageA4(TM, TK, T, RM)
      : stageA(TM, TK, T, RM)
  }
    for (var i = t; i < ${TN * TK}u; i = i + ${T}u) {
      let n = n0 + i % ${TN}u;
      let k = k0 + i / ${TN}u;
      var v = 0.0;
      if (n < N && k < kEnd) { v = loadB(k, n); }
      Bs[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {
      ${lines((r) => `let a${r} = As[kk * ${TM}u + ${rowAt(r)}];`, RM)}
      ${lines((s) => `let b${s} = Bs[kk * ${TN}u + ${s}u];`, TN)}
      ${cells.map(([r, s]) => `c${r}_${s} = fma(a${r}, b${s}, c${r}_${s});`).join("\n      ")}
    }
    workgroupBarrier();
  }
  ${
    cells.map(([r, s]) =>
      `if (m0 + ${rowAt(r)} < M && n0 + ${s}u < N) { store(m0 + ${
        rowAt(r)
      }, n0 + ${s}u, wg.z, c${r}_${s}); }`
    ).join("\n  ")
  }
}
`;
}
