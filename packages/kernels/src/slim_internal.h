/*
 * slim_internal.h: what every kernel file shares: the vector width of the target, generic
 * vectors and their helpers, the tile dispatch, the scratch arena and parallel_for (defined
 * in common.c), and the small image helpers of the convolutions.
 *
 * One set of sources, two targets:
 *   - native shared library (cc -O3 -march=native, -fopenmp or -DSLIM_THREADS_POOL -pthread),
 *     loaded with Deno.dlopen;
 *   - wasm32 with SIMD128 (clang --target=wasm32 -msimd128), threads by a pool of Deno
 *     Workers sharing one WebAssembly.Memory (see ../wasm_pool.ts).
 * Vectors are GCC/Clang generic vectors of VLEN floats, so the same code becomes AVX-512,
 * AVX2 or SIMD128 instructions.
 *
 * Every parallel kernel is a "range function" fn(args, begin, end, tid) run over a split of
 * [0, n) by parallel_for: OpenMP or our own pthread pool natively, the JS worker pool on wasm.
 *
 * Layouts: activations NHWC, conv weights HWIO [3][3][Cin][Cout], 3x3 convs stride 1 with
 * zero padding 1. Written from the math (PyTorch semantics), not from any other source.
 */
#ifndef SLIM_INTERNAL_H
#define SLIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define VLEN 4
#define ACC_MAX 12
#define EXPORT(name) __attribute__((export_name(#name))) name
#elif defined(__AVX512F__)
#define VLEN 16
#define ACC_MAX 24
#define EXPORT(name) name
#elif defined(__AVX__)
#define VLEN 8
#define ACC_MAX 12
#define EXPORT(name) name
#else
#define VLEN 4
#define ACC_MAX 12
#define EXPORT(name) name
#endif

#define JMAX 4
#define PMAX 8

/*
 * The tile functions are always_inline with P (pixels or rows) and J (channel vectors) as
 * compile-time constants, so their accumulators live in registers; DISPATCH_PJ picks the
 * instantiation for runtime p <= PMAX, j <= JMAX. CALL(P, J) is the call to make.
 */
#define CASE_J_(P, J, CALL) \
  case J:                   \
    CALL(P, J);             \
    break;
#define CASE_P_(P, CALL)                                                             \
  case P:                                                                            \
    switch (j_) { CASE_J_(P, 1, CALL) CASE_J_(P, 2, CALL) CASE_J_(P, 3, CALL) CASE_J_(P, 4, CALL) } \
    break;
#define DISPATCH_PJ(p, j, CALL)                                                      \
  do {                                                                               \
    const int j_ = (j);                                                              \
    switch (p) {                                                                     \
      CASE_P_(1, CALL) CASE_P_(2, CALL) CASE_P_(3, CALL) CASE_P_(4, CALL)             \
      CASE_P_(5, CALL) CASE_P_(6, CALL) CASE_P_(7, CALL) CASE_P_(8, CALL)             \
    }                                                                                \
  } while (0)

typedef float vf __attribute__((vector_size(VLEN * 4)));
typedef int32_t vi __attribute__((vector_size(VLEN * 4)));

static inline __attribute__((always_inline)) vf vload(const float *p) {
  vf v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline __attribute__((always_inline)) void vstore(float *p, vf v) {
  __builtin_memcpy(p, &v, sizeof v);
}
#if VLEN == 16
#define SPLAT_LANES 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#elif VLEN == 8
#define SPLAT_LANES 0, 0, 0, 0, 0, 0, 0, 0
#else
#define SPLAT_LANES 0, 0, 0, 0
#endif
/* A broadcast (`(vf){0} + s` would cost a scalar add: 0 + -0.0 is not -0.0). */
static inline __attribute__((always_inline)) vf vsplat(float s) {
  vf v = {s};
  return __builtin_shufflevector(v, v, SPLAT_LANES);
}
/*
 * acc + a * b as one fused multiply-add where the target has one: natively the compiler
 * contracts it (-ffp-contract=fast); WebAssembly built with relaxed SIMD (clang 16+) uses
 * f32x4.relaxed_madd, which the engine makes an FMA where the CPU has one (x86 FMA3, arm64)
 * and a multiply and an add elsewhere.
 */
static inline __attribute__((always_inline)) vf vmadd(vf a, vf b, vf acc) {
#if defined(__wasm_relaxed_simd__) && __clang_major__ >= 16 && VLEN == 4
  return __builtin_wasm_relaxed_madd_f32x4(a, b, acc);
#else
  return acc + a * b;
#endif
}
static inline __attribute__((always_inline)) vf vmax0(vf v) {
  vi m = v > (vf){0};
  return (vf)((vi)v & m);
}
static inline __attribute__((always_inline)) vf vmax(vf a, vf b) {
  vi m = a > b;
  return (vf)(((vi)a & m) | ((vi)b & ~m));
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int round_up(int a, int b) { return (a + b - 1) / b * b; }

/* Internal functions shared between the kernel files: not exported from the library. */
#define INTERNAL __attribute__((visibility("hidden")))

/* ---------------------------------------------------------------- memory and threads (common.c) */

/* Scratch memory for one kernel call; everything is released by scratch_done(). */
INTERNAL void *scratch_alloc(size_t bytes);
/* Ends a kernel call's use of the scratch arena. */
INTERNAL void scratch_done(void);
/* Scratch needs to be sized before the parallel region: allocate per thread up front. */
INTERNAL void *scratch_per_thread(size_t bytes_each, size_t *stride, int threads);

typedef void (*range_fn)(const void *args, int begin, int end, int tid);
/* Threads kernels run on. */
INTERNAL int num_threads(void);
/* Runs fn over a split of [0, n) on up to num_threads() threads and waits for all. */
INTERNAL void parallel_for(range_fn fn, const void *args, int n);

/* ---------------------------------------------------------------- batch norm (bn_relu.c) */

/* y[c] = max(0, z[c] * scale[c] + shift[c]) over one row of C channels. */
static inline void affine_relu_row(const float *z, int C, const float *scale, const float *shift,
                                   float *y) {
  int c = 0;
  for (; c + VLEN <= C; c += VLEN)
    vstore(y + c, vmax0(vload(z + c) * vload(scale + c) + vload(shift + c)));
  for (; c < C; c++) {
    float v = z[c] * scale[c] + shift[c];
    y[c] = v > 0 ? v : 0;
  }
}

/* The affine of train-mode BN from its batch mean and biased variance: y = x * scale + shift. */
static inline void bn_scale_shift(const float *gamma, const float *beta, const float *mean,
                                  const float *var, float eps, int C, float *scale,
                                  float *shift) {
  for (int c = 0; c < C; c++) {
    float invstd = 1.0f / __builtin_sqrtf(var[c] + eps);
    scale[c] = gamma[c] * invstd;
    shift[c] = beta[c] - mean[c] * scale[c];
  }
}

/*
 * Batch statistics of x [M][C] (mean, biased variance) and the BN affine (scale, shift: C
 * floats each, padded arrays allowed); uses the scratch arena, not released.
 */
INTERNAL void bn_batch_affine(const float *x, size_t M, int C, const float *gamma,
                              const float *beta, float eps, float *mean, float *var,
                              float *scale, float *shift);

/* ---------------------------------------------------------------- conv helpers */

/* Copies image n into a zero-bordered (H+2) x (W+2) x C buffer. */
static inline void pad_image(const float *x, int H, int W, int C, float *pad) {
  size_t row = (size_t)(W + 2) * C;
  for (size_t i = 0; i < row; i++) pad[i] = 0, pad[(size_t)(H + 1) * row + i] = 0;
  for (int h = 0; h < H; h++) {
    float *dst = pad + (size_t)(h + 1) * row;
    const float *src = x + (size_t)h * W * C;
    for (int c = 0; c < C; c++) dst[c] = 0, dst[(size_t)(W + 1) * C + c] = 0;
    __builtin_memcpy(dst + C, src, (size_t)W * C * sizeof(float));
  }
}

/* Tile sizes: J vectors of channels and P pixels, P * J <= ACC_MAX accumulators. */
static inline void tile_shape(int vectors, int *J, int *P) {
  int j = vectors < JMAX ? vectors : JMAX;
  if (j == 3 && vectors > 4) j = 4;
  int p = ACC_MAX / j;
  if (p > PMAX) p = PMAX;
  *J = j;
  *P = p;
}

/* Images per group: enough output pixels per group for full tiles and long reductions. */
static inline int group_images(int H, int W, int target_pixels) {
  int g = target_pixels / (H * W);
  return g < 1 ? 1 : g;
}

/* ---------------------------------------------------------------- direct conv (conv.c) */

/* [3][3][Cin][Cout] -> [9][Cin][CoutP], zero-padded to a multiple of VLEN. */
INTERNAL void pack_forward(const float *w, int Cin, int Cout, int CoutP, float *out);
/*
 * conv3x3 of x with weights packed by pack_forward into out (NHWC, Cout channels), by
 * Winograd where it pays and directly elsewhere. stats_out, when not null, receives the
 * per-channel sum and sum of squares [2][Cout]; scale/shift, when not null, make the output
 * max(0, z * scale + shift).
 */
INTERNAL void conv3x3_run(const float *x, int N, int H, int W, int Cin, const float *wpacked,
                          int Cout, int CoutP, float *out, double *stats_out,
                          const float *scale, const float *shift);

/* ---------------------------------------------------------------- Winograd (winograd*.c) */

/* Output tiles per block of the Winograd transforms. */
#define WINO_TB 32

/*
 * Fewest input and output channels for Winograd. 16 measured with AVX-512 (a 16-lane vector
 * pads fewer channels to 16, so the transforms do not pay there); with 4-lane vectors (wasm
 * SIMD128) 8 pays: DenseNet's growth-12 convolutions (12 outputs, forward, and 12 inputs, input
 * gradient) measured ~40% faster through Winograd than direct on wasm-simd.
 */
#if VLEN <= 4
#define WINO_MIN_CHANNELS 8
#else
#define WINO_MIN_CHANNELS 16
#endif

/*
 * Whether the Winograd path pays for this shape: even sizes of at least 4 (at 2x2 the
 * transforms cost what they save) and enough channels to amortise them.
 */
static inline int wino_pays(int H, int W, int Cin, int Cout) {
  return !(H & 1) && !(W & 1) && H >= 4 && W >= 4 && Cin >= WINO_MIN_CHANNELS &&
         Cout >= WINO_MIN_CHANNELS;
}

/* F(2x2, 3x3): V[xi] = (B^T d B)[xi] for the 4x4 input tile at d0 (all channels), into v + xi * vplane. */
static inline void wino2_input_tile(const float *d0, size_t xrow, int Cin, float *v, size_t vplane) {
  for (int c = 0; c < Cin; c += VLEN) {
    vf d[4][4], b[4][4];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) d[i][j] = vload(d0 + i * xrow + (size_t)j * Cin + c);
    for (int j = 0; j < 4; j++) {
      b[0][j] = d[0][j] - d[2][j];
      b[1][j] = d[1][j] + d[2][j];
      b[2][j] = d[2][j] - d[1][j];
      b[3][j] = d[1][j] - d[3][j];
    }
    for (int i = 0; i < 4; i++) {
      vstore(v + c + (i * 4 + 0) * vplane, b[i][0] - b[i][2]);
      vstore(v + c + (i * 4 + 1) * vplane, b[i][1] + b[i][2]);
      vstore(v + c + (i * 4 + 2) * vplane, b[i][2] - b[i][1]);
      vstore(v + c + (i * 4 + 3) * vplane, b[i][1] - b[i][3]);
    }
  }
}

/*
 * The tile side F(m x m, 3x3) takes for this shape: 4 where H and W are multiples of 4
 * (`-DSLIM_WINO_F2_ONLY` builds the F(2x2, 3x3)-only kernels, for comparisons).
 */
static inline int wino_tile_side(int H, int W) {
#ifdef SLIM_WINO_F2_ONLY
  (void)H, (void)W;
  return 2;
#else
  return H % 4 == 0 && W % 4 == 0 ? 4 : 2;
#endif
}

/* The 1-D input transform of F(4x4, 3x3): b = B^T d. */
static inline __attribute__((always_inline)) void wino4_bt(const vf d[6], vf b[6]) {
  b[0] = (d[0] - d[2]) * 4.0f - d[2] + d[4];
  b[1] = d[3] + d[4] - (d[1] + d[2]) * 4.0f;
  b[2] = d[4] - d[3] + (d[1] - d[2]) * 4.0f;
  b[3] = (d[3] - d[1]) * 2.0f + d[4] - d[2];
  b[4] = (d[1] - d[3]) * 2.0f + d[4] - d[2];
  b[5] = (d[1] - d[3]) * 4.0f - d[3] + d[5];
}

/* V[xi] = (B^T d B)[xi] for the 6x6 input tile at d0 (all channels), into v + xi * vplane. */
static inline void wino4_input_tile(const float *d0, size_t xrow, int Cin, float *v, size_t vplane) {
  for (int c = 0; c < Cin; c += VLEN) {
    vf t[6][6];
    for (int i = 0; i < 6; i++) {
      vf d[6];
      for (int j = 0; j < 6; j++) d[j] = vload(d0 + i * xrow + (size_t)j * Cin + c);
      wino4_bt(d, t[i]); /* t[i] = row i of d B */
    }
    for (int j = 0; j < 6; j++) {
      vf d[6], b[6];
      for (int i = 0; i < 6; i++) d[i] = t[i][j];
      wino4_bt(d, b); /* column j of B^T d B */
      for (int i = 0; i < 6; i++) vstore(v + c + (i * 6 + j) * vplane, b[i]);
    }
  }
}

/* V = B^T d B of the (m + 2) x (m + 2) input tile at d0, F(m x m, 3x3) for m = 2 or 4. */
static inline void wino_input_tile(int m, const float *d0, size_t xrow, int Cin, float *v,
                                   size_t vplane) {
  if (m == 4) wino4_input_tile(d0, xrow, Cin, v, vplane);
  else wino2_input_tile(d0, xrow, Cin, v, vplane);
}

/* The Winograd forward (F(4x4, 3x3) or F(2x2, 3x3)); same contract as conv3x3_run. */
INTERNAL void conv3x3_wino_run(const float *x, int N, int H, int W, int Cin,
                               const float *wpacked, int Cout, int CoutP, float *out,
                               double *stats_out, const float *scale, const float *shift);
/* The Winograd filter gradient dw [3][3][Cin][Cout]; uses the scratch arena, not released. */
INTERNAL void conv3x3_wino_grad_filter(const float *x, const float *dz, int N, int H, int W,
                                       int Cin, int Cout, float *dw);

#endif
