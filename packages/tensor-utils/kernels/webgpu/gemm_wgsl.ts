/**
 * WGSL of a tiled GEMM, C[m, n] = sum_k A(m, k) B(k, n), whose operands are functions (so
 * one generator gives the implicit-GEMM convolutions): each workgroup stages a TK-deep
 * slice of its TM x TN tile's A and B in workgroup memory, and each invocation keeps an
 * RM x RN register tile (unrolled into scalars). The K range may be split across
 * workgroups (z) for the filter gradient, whose K (pixels) is long and M x N small.
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
  /** Body of `fn loadA(m: u32, k: u32) -> f32`, called with m < M and k < K. */
  readonly loadA: string;
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
  readonly RN: number;
}

/** Tiles for an M x N output: 64 rows by up to 32 columns, 4x4 per invocation. */
export function gemmTiles(n: number): GemmTiles {
  const TN = n <= 4 ? 4 : n <= 8 ? 8 : n <= 16 ? 16 : 32;
  return { TM: 64, TN, TK: 16, RM: 4, RN: 4 };
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

/** WGSL of `spec` with `tiles`. */
export function gemmWgsl(spec: GemmSpec, tiles: GemmTiles): string {
  const { TM, TN, TK, RM, RN } = tiles;
  const colsT = TN / RN, rowsT = TM / RM;
  const threads = colsT * rowsT;
  const chunk = splitLength(spec, tiles);
  const acc: string[] = [], fmas: string[] = [], stores: string[] = [];
  for (let r = 0; r < RM; r++) {
    for (let s = 0; s < RN; s++) {
      acc.push(`var c${r}_${s} = 0.0;`);
      fmas.push(`c${r}_${s} = fma(a${r}, b${s}, c${r}_${s});`);
      stores.push(
        `if (mr${r} < M && nc${s} < N) { store(mr${r}, nc${s}, wg.z, c${r}_${s}); }`,
      );
    }
  }
  const aLoads = Array.from({ length: RM }, (_, r) => `let a${r} = As[ak + ${r * rowsT}u];`);
  const bLoads = Array.from({ length: RN }, (_, s) => `let b${s} = Bs[bk + ${s}u];`);
  const rowIdx = Array.from({ length: RM }, (_, r) => `let mr${r} = m0 + tm + ${r * rowsT}u;`);
  const colIdx = Array.from({ length: RN }, (_, s) => `let nc${s} = n0 + tn * ${RN}u + ${s}u;`);
  return `
const M = ${spec.M}u;
const N = ${spec.N}u;
const K = ${spec.K}u;
${spec.prelude}
fn loadA(m: u32, k: u32) -> f32 { ${spec.loadA} }
fn loadB(k: u32, n: u32) -> f32 { ${spec.loadB} }
fn store(m: u32, n: u32, split: u32, v: f32) { ${spec.store} }
var<workgroup> As: array<f32, ${TM * TK}>;
var<workgroup> Bs: array<f32, ${TN * TK}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let m0 = wg.x * ${TM}u;
  let n0 = wg.y * ${TN}u;
  let kBegin = wg.z * ${chunk}u;
  let kEnd = min(K, kBegin + ${chunk}u);
  let tm = t % ${rowsT}u;
  let tn = t / ${rowsT}u;
  ${acc.join("\n  ")}
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${TK}u) {
    for (var i = t; i < ${TM * TK}u; i = i + ${threads}u) {
      let m = m0 + i % ${TM}u;
      let k = k0 + i / ${TM}u;
      var v = 0.0;
      if (m < M && k < kEnd) { v = loadA(m, k); }
      As[i] = v;
    }
    for (var i = t; i < ${TN * TK}u; i = i + ${threads}u) {
      let n = n0 + i % ${TN}u;
      let k = k0 + i / ${TN}u;
      var v = 0.0;
      if (n < N && k < kEnd) { v = loadB(k, n); }
      Bs[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {
      let ak = kk * ${TM}u + tm;
      let bk = kk * ${TN}u + tn * ${RN}u;
      ${aLoads.join("\n      ")}
      ${bLoads.join("\n      ")}
      ${fmas.join("\n      ")}
    }
    workgroupBarrier();
  }
  ${rowIdx.join("\n  ")}
  ${colIdx.join("\n  ")}
  ${stores.join("\n  ")}
}
`;
}
