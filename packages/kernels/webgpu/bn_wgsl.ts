/**
 * WGSL of batch norm + ReLU over NHWC tensors seen as [M pixels, C channels]: batch and
 * running statistics (one workgroup per channel, two-pass mean and variance), the
 * normalise + ReLU pass, its backward (per-channel sums, coefficients, dz), and the SGD
 * update of one tensor.
 *
 * @module
 */
import { bindings } from "./runtime.ts";

/** Threads of the per-channel reduction workgroups. */
export const REDUCE_THREADS = 64;
/** Threads of the elementwise workgroups. */
export const ELEMENT_THREADS = 256;

const reduceFn = `var<workgroup> red: array<f32, ${REDUCE_THREADS}>;
fn reduce(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = ${REDUCE_THREADS / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { red[t] = red[t] + red[t + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;

/**
 * Per channel: mean, biased variance, and the new running mean and (unbiased) variance;
 * groups = [C, 1, 1]. Uniform: momentum.
 */
export function bnStatsWgsl(m: number, c: number): string {
  const unbias = m > 1 ? m / (m - 1) : 1;
  return `${bindings(["z", "rm", "rv"], ["mean", "vr", "nrm", "nrv"], "momentum: f32,")}
${reduceFn}
@compute @workgroup_size(${REDUCE_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let c = wg.x;
  var s = 0.0;
  for (var p = t; p < ${m}u; p = p + ${REDUCE_THREADS}u) { s = s + z[p * ${c}u + c]; }
  let mu = reduce(t, s) / f32(${m});
  var q = 0.0;
  for (var p = t; p < ${m}u; p = p + ${REDUCE_THREADS}u) {
    let d = z[p * ${c}u + c] - mu;
    q = fma(d, d, q);
  }
  let v = reduce(t, q) / f32(${m});
  if (t == 0u) {
    mean[c] = mu;
    vr[c] = v;
    nrm[c] = (1.0 - u.momentum) * rm[c] + u.momentum * mu;
    nrv[c] = (1.0 - u.momentum) * rv[c] + u.momentum * (v * ${Math.fround(unbias)});
  }
}`;
}

/** y = relu((z - mean) gamma / sqrt(var + eps) + beta), elementwise. Uniform: eps. */
export function bnApplyWgsl(size: number, c: number): string {
  return `${bindings(["z", "gamma", "beta", "mean", "vr"], ["y"], "eps: f32,")}
@compute @workgroup_size(${ELEMENT_THREADS})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * ${ELEMENT_THREADS * 1024}u;
  if (i >= ${size}u) { return; }
  let ch = i % ${c}u;
  let scale = gamma[ch] * inverseSqrt(vr[ch] + u.eps);
  y[i] = max(0.0, (z[i] - mean[ch]) * scale + beta[ch]);
}`;
}

/** Workgroups of an elementwise kernel over `size` values (x, y split past 1024 per row). */
export function elementGroups(size: number): [number, number, number] {
  const groups = Math.ceil(size / ELEMENT_THREADS);
  return groups <= 1024 ? [groups, 1, 1] : [1024, Math.ceil(groups / 1024), 1];
}

/**
 * Backward sums per channel with g = dy where the ReLU passed: dbeta = sum g,
 * dgamma = sum g xhat; groups = [C, 1, 1]. Uniform: eps.
 */
export function bnGradSumsWgsl(m: number, c: number): string {
  return `${bindings(["dy", "z", "gamma", "beta", "mean", "vr"], ["dgamma", "dbeta"], "eps: f32,")}
${reduceFn}
@compute @workgroup_size(${REDUCE_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let c = wg.x;
  let invstd = inverseSqrt(vr[c] + u.eps);
  let scale = gamma[c] * invstd;
  let shift = beta[c] - mean[c] * scale;
  var sg = 0.0;
  var sgx = 0.0;
  for (var p = t; p < ${m}u; p = p + ${REDUCE_THREADS}u) {
    let zi = z[p * ${c}u + c];
    let gi = select(0.0, dy[p * ${c}u + c], zi * scale + shift > 0.0);
    sg = sg + gi;
    sgx = fma(gi, (zi - mean[c]) * invstd, sgx);
  }
  let a = reduce(t, sg);
  let b = reduce(t, sgx);
  if (t == 0u) {
    dbeta[c] = a;
    dgamma[c] = b;
  }
}`;
}

/**
 * Per channel coefficients of dz = ca g + cb + cc z (and the ReLU's scale, shift):
 * coef[5c..5c+4] = scale, shift, ca, cb, cc. Uniform: eps.
 */
export function bnGradCoefWgsl(m: number, c: number): string {
  return `${bindings(["gamma", "beta", "mean", "vr", "dgamma", "dbeta"], ["coef"], "eps: f32,")}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let ch = g.x;
  if (ch >= ${c}u) { return; }
  let invstd = inverseSqrt(vr[ch] + u.eps);
  let scale = gamma[ch] * invstd;
  let mg = dbeta[ch] / f32(${m});
  let mgx = dgamma[ch] / f32(${m});
  coef[5u * ch] = scale;
  coef[5u * ch + 1u] = beta[ch] - mean[ch] * scale;
  coef[5u * ch + 2u] = scale;
  coef[5u * ch + 3u] = -scale * mg + scale * mean[ch] * invstd * mgx;
  coef[5u * ch + 4u] = -scale * invstd * mgx;
}`;
}

/** dz = ca g + cb + cc z with g = dy where z scale + shift > 0. */
export function bnGradApplyWgsl(size: number, c: number): string {
  return `${bindings(["dy", "z", "coef"], ["dz"])}
@compute @workgroup_size(${ELEMENT_THREADS})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * ${ELEMENT_THREADS * 1024}u;
  if (i >= ${size}u) { return; }
  let ch = i % ${c}u;
  let zi = z[i];
  let gi = select(0.0, dy[i], zi * coef[5u * ch] + coef[5u * ch + 1u] > 0.0);
  dz[i] = coef[5u * ch + 2u] * gi + coef[5u * ch + 3u] + coef[5u * ch + 4u] * zi;
}`;
}

/**
 * SGD with momentum, weight decay and an L1 subgradient on one tensor (the C kernel's
 * formula). Uniform: lr, momentum, wd, l1. `first`: no buffer yet (binds only p and the
 * gradient); the new buffer is the step itself.
 */
export function sgdWgsl(size: number, first: boolean): string {
  return `${
    bindings(
      first ? ["p", "gr"] : ["p", "gr", "buf"],
      ["np", "nb"],
      "lr: f32, momentum: f32, wd: f32, l1: f32,",
    )
  }
@compute @workgroup_size(${ELEMENT_THREADS})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * ${ELEMENT_THREADS * 1024}u;
  if (i >= ${size}u) { return; }
  let pi = p[i];
  let d = gr[i] + u.l1 * sign(pi) + u.wd * pi;
  let b = ${first ? "d" : "u.momentum * buf[i] + d"};
  nb[i] = b;
  np[i] = pi - u.lr * b;
}`;
}
