/*
 * slim_kernels.c: the training hot path of a VGG-BN in NHWC float32.
 *
 * One source, two targets:
 *   - native shared library (cc -O3 -march=native -fopenmp), loaded with Deno.dlopen;
 *   - wasm32 with SIMD128 (clang --target=wasm32 -msimd128), threads by a pool of Deno
 *     Workers sharing one WebAssembly.Memory (see ../wasm_pool.ts).
 * Vectors are GCC/Clang generic vectors of VLEN floats, so the same code becomes AVX-512,
 * AVX2 or SIMD128 instructions.
 *
 * Every parallel kernel is a "range function" fn(args, begin, end, tid) run over a split of
 * [0, n) by parallel_for: OpenMP natively, the JS worker pool on wasm.
 *
 * Layouts: activations NHWC, conv weights HWIO [3][3][Cin][Cout], 3x3 convs stride 1 with
 * zero padding 1. Written from the math (PyTorch semantics), not from any other source.
 */
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

/* ---------------------------------------------------------------- memory */

#if defined(__wasm__)
extern unsigned char __heap_base;
static uintptr_t heap_top = 0;
static uintptr_t heap_mark = 0;

/* Bump allocator over linear memory, reset by the caller after each kernel. */
void *EXPORT(slim_alloc)(size_t bytes) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  uintptr_t p = heap_top;
  uintptr_t end = (p + bytes + 63) & ~(uintptr_t)63;
  size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  heap_top = end;
  return (void *)p;
}
/* Frees everything allocated after the last slim_mark(). */
void EXPORT(slim_release)(void) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  heap_top = heap_mark ? heap_mark : heap_top;
}
/* Everything allocated before this call survives slim_release (stacks, persistent state). */
void EXPORT(slim_mark)(void) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  heap_mark = heap_top;
}
static void *scratch_alloc(size_t bytes) { return slim_alloc(bytes); }
static void scratch_done(void) {}

typedef void (*range_fn)(const void *args, int begin, int end, int tid);
__attribute__((import_module("env"), import_name("parallel_for"))) void js_parallel_for(
    int fn, const void *args, int n);
__attribute__((import_module("env"), import_name("num_threads"))) int js_num_threads(void);
static int num_threads(void) { return js_num_threads(); }
static void parallel_for(range_fn fn, const void *args, int n) {
  js_parallel_for((int)(uintptr_t)fn, args, n);
}
/* Entry point of the worker instances: runs one split of a parallel_for. */
void EXPORT(slim_run_range)(int fn, const void *args, int begin, int end, int tid) {
  ((range_fn)(uintptr_t)fn)(args, begin, end, tid);
}
#else
#include <omp.h>
#include <stdlib.h>
/*
 * Scratch arena: calls are serialised by the JS main thread, so one arena serves all.
 * Blocks are never moved while a call runs; after a call that needed more than the first
 * block, the blocks are merged into one big enough for next time.
 */
#define SCRATCH_BLOCKS 32
static char *scratch_block[SCRATCH_BLOCKS];
static size_t scratch_cap[SCRATCH_BLOCKS], scratch_used[SCRATCH_BLOCKS];
static int scratch_count = 0;
static void *scratch_alloc(size_t bytes) {
  bytes = (bytes + 63) & ~(size_t)63;
  if (scratch_count > 0) {
    int b = scratch_count - 1;
    if (scratch_used[b] + bytes <= scratch_cap[b]) {
      void *p = scratch_block[b] + scratch_used[b];
      scratch_used[b] += bytes;
      return p;
    }
  }
  if (scratch_count == SCRATCH_BLOCKS) abort();
  size_t cap = bytes < ((size_t)1 << 20) ? ((size_t)1 << 20) : bytes;
  int b = scratch_count++;
  scratch_block[b] = (char *)aligned_alloc(64, cap);
  if (!scratch_block[b]) abort();
  scratch_cap[b] = cap;
  scratch_used[b] = bytes;
  return scratch_block[b];
}
static void scratch_done(void) {
  if (scratch_count > 1) {
    size_t total = 0;
    for (int b = 0; b < scratch_count; b++) total += scratch_cap[b], free(scratch_block[b]);
    scratch_block[0] = (char *)aligned_alloc(64, total);
    if (!scratch_block[0]) abort();
    scratch_cap[0] = total;
    scratch_count = 1;
  }
  if (scratch_count == 1) scratch_used[0] = 0;
}
typedef void (*range_fn)(const void *args, int begin, int end, int tid);
static int num_threads(void) { return omp_get_max_threads(); }
static void parallel_for(range_fn fn, const void *args, int n) {
  int threads = num_threads();
  if (threads > n) threads = n;
  if (threads <= 1) {
    fn(args, 0, n, 0);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int begin = (int)((long)n * t / T), end = (int)((long)n * (t + 1) / T);
    if (end > begin) fn(args, begin, end, t);
  }
}
int slim_set_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}
#endif

/* Scratch needs to be sized before the parallel region: allocate per thread up front. */
static void *scratch_per_thread(size_t bytes_each, size_t *stride, int threads) {
  *stride = (bytes_each + 63) & ~(size_t)63;
  return scratch_alloc(*stride * threads);
}

/* ---------------------------------------------------------------- weights */

/* [3][3][Cin][Cout] -> [9][Cin][CoutP], zero-padded to a multiple of VLEN. */
static void pack_forward(const float *w, int Cin, int Cout, int CoutP, float *out) {
  for (int t = 0; t < 9; t++)
    for (int i = 0; i < Cin; i++) {
      const float *src = w + ((size_t)t * Cin + i) * Cout;
      float *dst = out + ((size_t)t * Cin + i) * CoutP;
      for (int o = 0; o < Cout; o++) dst[o] = src[o];
      for (int o = Cout; o < CoutP; o++) dst[o] = 0;
    }
}

/* For the input gradient: K'[kh][kw][co][ci] = W[2-kh][2-kw][ci][co], padded on ci. */
static void pack_backward(const float *w, int Cin, int Cout, int CinP, float *out) {
  for (int t = 0; t < 9; t++) {
    int ts = 8 - t;
    for (int o = 0; o < Cout; o++) {
      float *dst = out + ((size_t)t * Cout + o) * CinP;
      for (int i = 0; i < Cin; i++) dst[i] = w[((size_t)ts * Cin + i) * Cout + o];
      for (int i = Cin; i < CinP; i++) dst[i] = 0;
    }
  }
}

/* ---------------------------------------------------------------- conv3x3 */

typedef struct {
  const float *x;
  int N, H, W, Cin;
  const float *wp; /* packed [9][Cin][CoutP] */
  int Cout, CoutP;
  float *out;
  float *pad; /* per-thread padded image */
  size_t pad_stride;
  double *stats; /* per-thread [2][CoutP] sums, or null */
  size_t stats_stride;
  const float *scale, *shift; /* epilogue affine + ReLU, or null */
} conv_args;

/* Copies image n into a zero-bordered (H+2) x (W+2) x C buffer. */
static void pad_image(const float *x, int H, int W, int C, float *pad) {
  size_t row = (size_t)(W + 2) * C;
  for (size_t i = 0; i < row; i++) pad[i] = 0, pad[(size_t)(H + 1) * row + i] = 0;
  for (int h = 0; h < H; h++) {
    float *dst = pad + (size_t)(h + 1) * row;
    const float *src = x + (size_t)h * W * C;
    for (int c = 0; c < C; c++) dst[c] = 0, dst[(size_t)(W + 1) * C + c] = 0;
    __builtin_memcpy(dst + C, src, (size_t)W * C * sizeof(float));
  }
}

/*
 * One output tile: P consecutive output pixels (of a group of padded images, so a tile may
 * span rows and images) times J vectors of output channels. off[p] is the offset of pixel p's
 * tap (0, 0) in the padded input; ob points at the first pixel's output.
 */
static inline __attribute__((always_inline)) void conv_tile(
    const int P, const int J, const float *restrict xb, const size_t *restrict off, size_t xrow,
    int Cin, const float *restrict wb, int CoutP, float *restrict ob, int Cout, int c0,
    double *restrict st, const float *restrict scale, const float *restrict shift) {
  vf acc[PMAX][JMAX];
  const float *xp[PMAX];
  for (int p = 0; p < P; p++) xp[p] = xb + off[p];
  for (int p = 0; p < P; p++)
    for (int j = 0; j < J; j++) acc[p][j] = (vf){0};
  for (int kh = 0; kh < 3; kh++)
    for (int kw = 0; kw < 3; kw++) {
      const size_t tap = kh * xrow + (size_t)kw * Cin;
      const float *wt = wb + (size_t)(kh * 3 + kw) * Cin * CoutP;
      for (int ci = 0; ci < Cin; ci++) {
        vf wv[JMAX];
        for (int j = 0; j < J; j++) wv[j] = vload(wt + (size_t)ci * CoutP + j * VLEN);
        for (int p = 0; p < P; p++) {
          vf xs = vsplat(xp[p][tap + ci]);
          for (int j = 0; j < J; j++) acc[p][j] += wv[j] * xs;
        }
      }
    }
  for (int j = 0; j < J; j++) {
    int c = c0 + j * VLEN;
    int lanes = imin(VLEN, Cout - c);
    if (st) {
      vf s = (vf){0}, q = (vf){0};
      for (int p = 0; p < P; p++) s += acc[p][j], q += acc[p][j] * acc[p][j];
      for (int l = 0; l < lanes; l++) st[c + l] += s[l], st[CoutP + c + l] += q[l];
    }
    vf sc = (vf){0}, sh = (vf){0};
    if (scale) {
      for (int l = 0; l < lanes; l++) sc[l] = scale[c + l], sh[l] = shift[c + l];
    }
    for (int p = 0; p < P; p++) {
      vf v = acc[p][j];
      if (scale) v = vmax0(v * sc + sh);
      float *o = ob + (size_t)p * Cout + c;
      if (lanes == VLEN) vstore(o, v);
      else
        for (int l = 0; l < lanes; l++) o[l] = v[l];
    }
  }
}


/* Tile sizes: J vectors of channels and P pixels, P * J <= ACC_MAX accumulators. */
static void tile_shape(int vectors, int *J, int *P) {
  int j = vectors < JMAX ? vectors : JMAX;
  if (j == 3 && vectors > 4) j = 4;
  int p = ACC_MAX / j;
  if (p > PMAX) p = PMAX;
  *J = j;
  *P = p;
}

/* Images per group: enough output pixels per group for full tiles and long reductions. */
static int group_images(int H, int W, int target_pixels) {
  int g = target_pixels / (H * W);
  return g < 1 ? 1 : g;
}
#define CONV_GROUP_PIXELS 64

static void conv_range(const void *vargs, int begin, int end, int tid) {
  const conv_args *a = (const conv_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, Cout = a->Cout, CoutP = a->CoutP;
  float *pad = a->pad + tid * a->pad_stride;
  double *st = a->stats ? a->stats + tid * a->stats_stride : 0;
  const size_t xrow = (size_t)(W + 2) * Cin;
  const size_t img = (size_t)(H + 2) * xrow;
  const int vectors = CoutP / VLEN;
  const int G = group_images(H, W, CONV_GROUP_PIXELS);
  int J, P;
  tile_shape(vectors, &J, &P);
  for (int n0 = begin; n0 < end; n0 += G) {
    int g = imin(G, end - n0);
    for (int i = 0; i < g; i++)
      pad_image(a->x + (size_t)(n0 + i) * H * W * Cin, H, W, Cin, pad + i * img);
    const int M = g * H * W;
    float *out = a->out + (size_t)n0 * H * W * Cout;
    for (int v0 = 0; v0 < vectors; v0 += J) {
      int j = imin(J, vectors - v0);
      int c0 = v0 * VLEN;
      const float *wb = a->wp + c0;
      int q = 0, qi = 0, qh = 0, qw = 0; /* pixel q = (image qi, row qh, column qw) */
      while (q < M) {
        int p = imin(P, M - q);
        size_t off[PMAX];
        int ti = qi, th = qh, tw = qw;
        for (int k = 0; k < p; k++) {
          off[k] = ti * img + th * xrow + (size_t)tw * Cin;
          if (++tw == W) {
            tw = 0;
            if (++th == H) th = 0, ti++;
          }
        }
        float *ob = out + (size_t)q * Cout;
#define CONV_TILE(P, J) conv_tile(P, J, pad, off, xrow, Cin, wb, CoutP, ob, Cout, c0, st, a->scale, a->shift)
        DISPATCH_PJ(p, j, CONV_TILE);
#undef CONV_TILE
        q += p, qi = ti, qh = th, qw = tw;
      }
    }
  }
}

/* ---------------------------------------------------------------- Winograd F(2x2, 3x3) */
/*
 * For even H and W, a 3x3 convolution as 2x2 output tiles: U = G g G^T per (ci, co),
 * V = B^T d B per 4x4 input tile, M = sum_ci U .* V (16 small GEMMs), y = A^T M A.
 * 16 multiplies per 4 outputs instead of 36. Same contract as the direct path.
 */
#define WINO_TB 32

typedef struct {
  const float *x;
  int N, H, W, Cin, CinP;
  const float *U; /* [16][Cin][CoutP] */
  int Cout, CoutP;
  float *out;
  float *scratch;
  size_t scratch_stride, pad_floats, v_floats;
  double *stats;
  size_t stats_stride;
  const float *scale, *shift;
  int group;
} wino_args;

/* U[xi][ci][co] from weights packed as [9][Cin][CoutP]. */
static void wino_filter(const float *wp, int Cin, int CoutP, float *U) {
  const size_t plane = (size_t)Cin * CoutP;
  for (int ci = 0; ci < Cin; ci++)
    for (int c = 0; c < CoutP; c += VLEN) {
      vf g[3][3], t[4][3];
      for (int k = 0; k < 9; k++) g[k / 3][k % 3] = vload(wp + k * plane + (size_t)ci * CoutP + c);
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[0][j];
        t[1][j] = (g[0][j] + g[1][j] + g[2][j]) * 0.5f;
        t[2][j] = (g[0][j] - g[1][j] + g[2][j]) * 0.5f;
        t[3][j] = g[2][j];
      }
      for (int i = 0; i < 4; i++) {
        vf u[4];
        u[0] = t[i][0];
        u[1] = (t[i][0] + t[i][1] + t[i][2]) * 0.5f;
        u[2] = (t[i][0] - t[i][1] + t[i][2]) * 0.5f;
        u[3] = t[i][2];
        for (int j = 0; j < 4; j++) vstore(U + (size_t)(i * 4 + j) * plane + (size_t)ci * CoutP + c, u[j]);
      }
    }
}

/* V[xi] = (B^T d B)[xi] for the 4x4 input tile at d0 (all channels), into v + xi * vplane. */
static inline void wino_input_tile(const float *d0, size_t xrow, int Cin, float *v, size_t vplane) {
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

static inline __attribute__((always_inline)) void wino_gemm_tile(
    const int P, const int J, const float *restrict v, size_t vrow, int K, const float *restrict u,
    int CoutP, float *restrict m) {
  vf acc[PMAX][JMAX];
  for (int p = 0; p < P; p++)
    for (int j = 0; j < J; j++) acc[p][j] = (vf){0};
  for (int k = 0; k < K; k++) {
    vf uv[JMAX];
    for (int j = 0; j < J; j++) uv[j] = vload(u + (size_t)k * CoutP + j * VLEN);
    for (int p = 0; p < P; p++) {
      vf xs = vsplat(v[p * vrow + k]);
      for (int j = 0; j < J; j++) acc[p][j] += uv[j] * xs;
    }
  }
  for (int p = 0; p < P; p++)
    for (int j = 0; j < J; j++) vstore(m + (size_t)p * CoutP + j * VLEN, acc[p][j]);
}


static void wino_range(const void *vargs, int begin, int end, int tid) {
  const wino_args *a = (const wino_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, CinP = a->CinP, Cout = a->Cout, CoutP = a->CoutP;
  const int th = H / 2, tw = W / 2, tiles_img = th * tw;
  const size_t xrow = (size_t)(W + 2) * Cin, img = (size_t)(H + 2) * xrow;
  float *pad = a->scratch + tid * a->scratch_stride;
  float *V = pad + a->pad_floats;
  float *M = V + a->v_floats;
  float *fs = M + (size_t)16 * WINO_TB * CoutP, *fq = fs + CoutP;
  double *st = a->stats ? a->stats + tid * a->stats_stride : 0;
  const size_t vplane = (size_t)WINO_TB * CinP, mplane = (size_t)WINO_TB * CoutP;
  const int vectors = CoutP / VLEN;
  int J, P;
  tile_shape(vectors, &J, &P);
  for (int n0 = begin; n0 < end; n0 += a->group) {
    const int g = imin(a->group, end - n0);
    for (int i = 0; i < g; i++)
      pad_image(a->x + (size_t)(n0 + i) * H * W * Cin, H, W, Cin, pad + i * img);
    const int tiles = g * tiles_img;
    for (int t0 = 0; t0 < tiles; t0 += WINO_TB) {
      const int tb = imin(WINO_TB, tiles - t0);
      /* input transform: V[xi][t][ci] = (B^T d B)[xi] */
      for (int t = 0; t < tb; t++) {
        const int q = t0 + t, im = q / tiles_img, r = q % tiles_img, ty = r / tw, tx = r % tw;
        const float *d0 = pad + im * img + (size_t)(2 * ty) * xrow + (size_t)(2 * tx) * Cin;
        wino_input_tile(d0, xrow, Cin, V + (size_t)t * CinP, vplane);
      }
      /* 16 GEMMs: M[xi] (tb x CoutP) = V[xi] (tb x Cin) . U[xi] (Cin x CoutP) */
      for (int xi = 0; xi < 16; xi++) {
        const float *v = V + xi * vplane, *u = a->U + (size_t)xi * Cin * CoutP;
        float *m = M + xi * mplane;
        for (int v0 = 0; v0 < vectors; v0 += J) {
          const int j = imin(J, vectors - v0);
          for (int r0 = 0; r0 < tb; r0 += P) {
            const int p = imin(P, tb - r0);
            const float *vr = v + (size_t)r0 * CinP, *ub = u + v0 * VLEN;
            float *mb = m + (size_t)r0 * CoutP + v0 * VLEN;
#define GEMM_TILE(P, J) wino_gemm_tile(P, J, vr, CinP, Cin, ub, CoutP, mb)
            DISPATCH_PJ(p, j, GEMM_TILE);
#undef GEMM_TILE
          }
        }
      }
      /* output transform y = A^T M A, then the epilogue */
      if (st)
        for (int c = 0; c < CoutP; c++) fs[c] = 0, fq[c] = 0;
      for (int t = 0; t < tb; t++) {
        const int q = t0 + t, im = q / tiles_img, r = q % tiles_img, ty = r / tw, tx = r % tw;
        float *o0 = a->out + (((size_t)(n0 + im) * H + 2 * ty) * W + 2 * tx) * Cout;
        float *o1 = o0 + (size_t)W * Cout;
        for (int c = 0; c < CoutP; c += VLEN) {
          vf mm[4][4], s[4][2];
          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) mm[i][j] = vload(M + (i * 4 + j) * mplane + (size_t)t * CoutP + c);
          for (int i = 0; i < 4; i++) {
            s[i][0] = mm[i][0] + mm[i][1] + mm[i][2];
            s[i][1] = mm[i][1] - mm[i][2] - mm[i][3];
          }
          vf y[4];
          y[0] = s[0][0] + s[1][0] + s[2][0];
          y[1] = s[0][1] + s[1][1] + s[2][1];
          y[2] = s[1][0] - s[2][0] - s[3][0];
          y[3] = s[1][1] - s[2][1] - s[3][1];
          const int lanes = imin(VLEN, Cout - c);
          if (st) {
            vf sum = y[0] + y[1] + y[2] + y[3];
            vf sq = y[0] * y[0] + y[1] * y[1] + y[2] * y[2] + y[3] * y[3];
            vstore(fs + c, vload(fs + c) + sum);
            vstore(fq + c, vload(fq + c) + sq);
          }
          if (a->scale) {
            vf sc = (vf){0}, sh = (vf){0};
            for (int l = 0; l < lanes; l++) sc[l] = a->scale[c + l], sh[l] = a->shift[c + l];
            for (int k = 0; k < 4; k++) y[k] = vmax0(y[k] * sc + sh);
          }
          float *dst[4] = {o0 + c, o0 + Cout + c, o1 + c, o1 + Cout + c};
          for (int k = 0; k < 4; k++) {
            if (lanes == VLEN) vstore(dst[k], y[k]);
            else
              for (int l = 0; l < lanes; l++) dst[k][l] = y[k][l];
          }
        }
      }
      if (st)
        for (int c = 0; c < Cout; c++) st[c] += fs[c], st[CoutP + c] += fq[c];
    }
  }
}

/*
 * Whether the Winograd path pays for this shape (measured with AVX-512): even sizes of at least
 * 4 (at 2x2 the transforms cost what they save) and enough channels to amortise them.
 */
static int wino_pays(int H, int W, int Cin, int Cout) {
  return !(H & 1) && !(W & 1) && H >= 4 && W >= 4 && Cin >= 16 && Cout >= 16;
}

static void conv3x3_wino_run(const float *x, int N, int H, int W, int Cin, const float *wpacked,
                             int Cout, int CoutP, float *out, double *stats_out,
                             const float *scale, const float *shift) {
  const int T = num_threads();
  const int CinP = round_up(Cin, VLEN);
  wino_args a = {x, N, H, W, Cin, CinP, 0, Cout, CoutP, out, 0, 0, 0, 0, 0, 0, scale, shift, 1};
  float *U = (float *)scratch_alloc((size_t)16 * Cin * CoutP * 4);
  wino_filter(wpacked, Cin, CoutP, U);
  a.U = U;
  const int tiles_img = (H / 2) * (W / 2);
  a.group = WINO_TB / tiles_img > 1 ? WINO_TB / tiles_img : 1;
  a.pad_floats = (size_t)a.group * (H + 2) * (W + 2) * Cin + VLEN;
  a.pad_floats = (a.pad_floats + 15) & ~(size_t)15;
  a.v_floats = (size_t)16 * WINO_TB * CinP;
  size_t each = (a.pad_floats + a.v_floats + (size_t)16 * WINO_TB * CoutP + 2 * (size_t)CoutP) * 4;
  a.scratch = (float *)scratch_per_thread(each, &a.scratch_stride, T);
  a.scratch_stride /= sizeof(float);
  if (stats_out) {
    a.stats = (double *)scratch_per_thread((size_t)2 * CoutP * sizeof(double), &a.stats_stride, T);
    a.stats_stride /= sizeof(double);
    for (size_t i = 0; i < a.stats_stride * T; i++) a.stats[i] = 0;
  }
  parallel_for(wino_range, &a, N);
  if (stats_out) {
    for (int c = 0; c < 2 * Cout; c++) stats_out[c] = 0;
    for (int t = 0; t < T; t++) {
      const double *s = a.stats + t * a.stats_stride;
      for (int c = 0; c < Cout; c++) stats_out[c] += s[c], stats_out[Cout + c] += s[CoutP + c];
    }
  }
}

static void conv3x3_run(const float *x, int N, int H, int W, int Cin, const float *wpacked,
                        int Cout, int CoutP, float *out, double *stats_out, const float *scale,
                        const float *shift) {
  if (wino_pays(H, W, Cin, Cout)) {
    conv3x3_wino_run(x, N, H, W, Cin, wpacked, Cout, CoutP, out, stats_out, scale, shift);
    return;
  }
  int T = num_threads();
  conv_args a = {x, N, H, W, Cin, wpacked, Cout, CoutP, out, 0, 0, 0, 0, scale, shift};
  size_t group = (size_t)group_images(H, W, CONV_GROUP_PIXELS);
  a.pad = (float *)scratch_per_thread(group * (H + 2) * (W + 2) * Cin * 4, &a.pad_stride, T);
  a.pad_stride /= sizeof(float);
  if (stats_out) {
    size_t each = (size_t)2 * CoutP * sizeof(double);
    a.stats = (double *)scratch_per_thread(each, &a.stats_stride, T);
    a.stats_stride /= sizeof(double);
    for (size_t i = 0; i < a.stats_stride * T; i++) a.stats[i] = 0;
  }
  parallel_for(conv_range, &a, N);
  if (stats_out) {
    for (int c = 0; c < 2 * Cout; c++) stats_out[c] = 0;
    for (int t = 0; t < T; t++) {
      const double *s = a.stats + t * a.stats_stride;
      for (int c = 0; c < Cout; c++) {
        stats_out[c] += s[c];
        stats_out[Cout + c] += s[CoutP + c];
      }
    }
  }
}

/*
 * Training forward of conv3x3 -> BN (batch statistics) -> ReLU.
 * Writes z (conv output), y (activation), mean and biased variance per channel.
 */
void EXPORT(slim_conv_bn_relu)(const float *x, int N, int H, int W, int Cin, const float *w,
                               int Cout, const float *gamma, const float *beta, float eps,
                               float *z, float *y, float *mean, float *var);

/* Inference: conv3x3 -> y = max(0, z * scale + shift). */
void EXPORT(slim_conv_affine_relu)(const float *x, int N, int H, int W, int Cin, const float *w,
                                   int Cout, const float *scale, const float *shift, float *y) {
  int CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)9 * Cin * CoutP * 4);
  pack_forward(w, Cin, Cout, CoutP, wp);
  conv3x3_run(x, N, H, W, Cin, wp, Cout, CoutP, y, 0, scale, shift);
  scratch_done();
}

/* Plain conv3x3 (no epilogue). */
void EXPORT(slim_conv3x3)(const float *x, int N, int H, int W, int Cin, const float *w, int Cout,
                          float *out) {
  int CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)9 * Cin * CoutP * 4);
  pack_forward(w, Cin, Cout, CoutP, wp);
  conv3x3_run(x, N, H, W, Cin, wp, Cout, CoutP, out, 0, 0, 0);
  scratch_done();
}

/* Gradient of conv3x3 with respect to its input: dx = conv(dz, flipped transposed w). */
void EXPORT(slim_conv3x3_grad_input)(const float *dz, int N, int H, int W, int Cin,
                                     const float *w, int Cout, float *dx) {
  int CinP = round_up(Cin, VLEN);
  float *wp = (float *)scratch_alloc((size_t)9 * Cout * CinP * 4);
  pack_backward(w, Cin, Cout, CinP, wp);
  conv3x3_run(dz, N, H, W, Cout, wp, Cin, CinP, dx, 0, 0, 0);
  scratch_done();
}

/* ---------------------------------------------------------------- BN + ReLU */

typedef struct {
  const float *z;
  float *y;
  size_t M;
  int C;
  const float *scale, *shift;
} affine_args;

static void affine_relu_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const affine_args *a = (const affine_args *)vargs;
  const int C = a->C;
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *z = a->z + m * C;
    float *y = a->y + m * C;
    int c = 0;
    for (; c + VLEN <= C; c += VLEN)
      vstore(y + c, vmax0(vload(z + c) * vload(a->scale + c) + vload(a->shift + c)));
    for (; c < C; c++) {
      float v = z[c] * a->scale[c] + a->shift[c];
      y[c] = v > 0 ? v : 0;
    }
  }
}

/* Per-channel mean, biased variance, and the affine (scale, shift) of train-mode BN. */
static void bn_affine(const double *sums, size_t M, int C, const float *gamma, const float *beta,
                      float eps, float *mean, float *var, float *scale, float *shift) {
  for (int c = 0; c < C; c++) {
    double mu = sums[c] / (double)M;
    double v = sums[C + c] / (double)M - mu * mu;
    if (v < 0) v = 0;
    mean[c] = (float)mu;
    var[c] = (float)v;
    float invstd = 1.0f / __builtin_sqrtf((float)v + eps);
    scale[c] = gamma[c] * invstd;
    shift[c] = beta[c] - (float)mu * scale[c];
  }
}

void EXPORT(slim_conv_bn_relu)(const float *x, int N, int H, int W, int Cin, const float *w,
                               int Cout, const float *gamma, const float *beta, float eps,
                               float *z, float *y, float *mean, float *var) {
  int CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)9 * Cin * CoutP * 4);
  double *sums = (double *)scratch_alloc((size_t)2 * Cout * sizeof(double));
  float *scale = (float *)scratch_alloc((size_t)2 * CoutP * 4);
  float *shift = scale + CoutP;
  pack_forward(w, Cin, Cout, CoutP, wp);
  conv3x3_run(x, N, H, W, Cin, wp, Cout, CoutP, z, sums, 0, 0);
  size_t M = (size_t)N * H * W;
  bn_affine(sums, M, Cout, gamma, beta, eps, mean, var, scale, shift);
  affine_args a = {z, y, M, Cout, scale, shift};
  parallel_for(affine_relu_range, &a, (int)M);
  scratch_done();
}

/* y = max(0, z * scale + shift) per channel (NHWC, M rows of C). */
void EXPORT(slim_affine_relu)(const float *z, int M, int C, const float *scale, const float *shift,
                              float *y) {
  affine_args a = {z, y, (size_t)M, C, scale, shift};
  parallel_for(affine_relu_range, &a, M);
}

/*
 * Backward of y = relu(gamma * (z - mean) / sqrt(var + eps) + beta) with batch statistics:
 *   g = dy * [y > 0], xhat = (z - mean) * invstd,
 *   dbeta = sum g, dgamma = sum g * xhat,
 *   dz = gamma * invstd * (g - dbeta / M - xhat * dgamma / M).
 */
typedef struct {
  const float *dy, *z;
  float *dz;
  size_t M;
  int C;
  const float *scale, *shift, *mean, *invstd, *coef_a, *coef_b, *coef_c;
  double *partial; /* per-thread [2][C] */
  size_t partial_stride;
} bn_grad_args;

static void bn_grad_reduce_range(const void *vargs, int begin, int end, int tid) {
  const bn_grad_args *a = (const bn_grad_args *)vargs;
  const int C = a->C;
  double *sg = a->partial + tid * a->partial_stride, *sgx = sg + C;
  /* Sum in float over blocks of rows, then into double. */
  float *fs = (float *)(sgx + C);
  float *fsx = fs + round_up(C, VLEN);
  const int block = 64;
  for (size_t m0 = (size_t)begin; m0 < (size_t)end; m0 += block) {
    size_t m1 = m0 + block < (size_t)end ? m0 + block : (size_t)end;
    for (int c = 0; c < C; c++) fs[c] = 0, fsx[c] = 0;
    for (size_t m = m0; m < m1; m++) {
      const float *dy = a->dy + m * C, *z = a->z + m * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf zv = vload(z + c);
        vf pre = zv * vload(a->scale + c) + vload(a->shift + c);
        vi on = pre > (vf){0};
        vf g = (vf)((vi)vload(dy + c) & on);
        vf xhat = (zv - vload(a->mean + c)) * vload(a->invstd + c);
        vstore(fs + c, vload(fs + c) + g);
        vstore(fsx + c, vload(fsx + c) + g * xhat);
      }
      for (; c < C; c++) {
        float pre = z[c] * a->scale[c] + a->shift[c];
        float g = pre > 0 ? dy[c] : 0;
        fs[c] += g;
        fsx[c] += g * (z[c] - a->mean[c]) * a->invstd[c];
      }
    }
    for (int c = 0; c < C; c++) sg[c] += fs[c], sgx[c] += fsx[c];
  }
}

static void bn_grad_apply_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const bn_grad_args *a = (const bn_grad_args *)vargs;
  const int C = a->C;
  /* dz = A*g + B + Cc*z with A = gamma*invstd, B = -A*(sg/M) + A*mean*invstd*sgx/M,
     Cc = -A*invstd*sgx/M (xhat expanded so the loop is two fused multiply-adds). */
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *dy = a->dy + m * C, *z = a->z + m * C;
    float *dz = a->dz + m * C;
    int c = 0;
    for (; c + VLEN <= C; c += VLEN) {
      vf zv = vload(z + c);
      vf pre = zv * vload(a->scale + c) + vload(a->shift + c);
      vi on = pre > (vf){0};
      vf g = (vf)((vi)vload(dy + c) & on);
      vstore(dz + c, vload(a->coef_a + c) * g + (vload(a->coef_b + c) + vload(a->coef_c + c) * zv));
    }
    for (; c < C; c++) {
      float pre = z[c] * a->scale[c] + a->shift[c];
      float g = pre > 0 ? dy[c] : 0;
      dz[c] = a->coef_a[c] * g + (a->coef_b[c] + a->coef_c[c] * z[c]);
    }
  }
}

void EXPORT(slim_bn_relu_grad)(const float *dy, const float *z, int M, int C, const float *gamma,
                               const float *beta, const float *mean, const float *var, float eps,
                               float *dz, float *dgamma, float *dbeta) {
  int T = num_threads();
  int CP = round_up(C, VLEN);
  float *buf = (float *)scratch_alloc((size_t)7 * CP * 4);
  float *scale = buf, *shift = buf + CP, *invstd = buf + 2 * CP, *ca = buf + 3 * CP,
        *cb = buf + 4 * CP, *cc = buf + 5 * CP, *meanp = buf + 6 * CP;
  for (int c = 0; c < C; c++) {
    invstd[c] = 1.0f / __builtin_sqrtf(var[c] + eps);
    scale[c] = gamma[c] * invstd[c];
    shift[c] = beta[c] - mean[c] * scale[c];
    meanp[c] = mean[c];
  }
  bn_grad_args a = {dy, z, dz, (size_t)M, C, scale, shift, meanp, invstd, ca, cb, cc, 0, 0};
  size_t each = (size_t)2 * C * sizeof(double) + (size_t)2 * CP * sizeof(float);
  a.partial = (double *)scratch_per_thread(each, &a.partial_stride, T);
  a.partial_stride /= sizeof(double);
  for (int t = 0; t < T; t++)
    for (int c = 0; c < 2 * C; c++) a.partial[t * a.partial_stride + c] = 0;
  parallel_for(bn_grad_reduce_range, &a, M);
  for (int c = 0; c < C; c++) {
    double sg = 0, sgx = 0;
    for (int t = 0; t < T; t++) sg += a.partial[t * a.partial_stride + c],
                                sgx += a.partial[t * a.partial_stride + C + c];
    dbeta[c] = (float)sg;
    dgamma[c] = (float)sgx;
    float A = gamma[c] * invstd[c];
    float mg = (float)(sg / M), mgx = (float)(sgx / M);
    ca[c] = A;
    cc[c] = -A * invstd[c] * mgx;
    cb[c] = -A * mg + A * mean[c] * invstd[c] * mgx;
  }
  parallel_for(bn_grad_apply_range, &a, M);
  scratch_done();
}

/* ---------------------------------------------------------------- conv filter gradient */

typedef struct {
  const float *x, *dz;
  int N, H, W, Cin, Cout, CoutP;
  float *pad; /* per thread: padded x image then dz image padded to CoutP */
  size_t pad_stride;
  float *acc; /* per thread [9][Cin][CoutP] */
  size_t acc_stride;
} wgrad_args;

static inline __attribute__((always_inline)) void wgrad_tile(
    const int R, const int J, const float *restrict xp, size_t xrow, size_t img, int Cin, int W,
    int H, int G, const float *restrict dzp, int CoutP, float *restrict out) {
  vf acc[PMAX][JMAX];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) acc[r][j] = (vf){0};
  for (int i = 0; i < G; i++)
    for (int h = 0; h < H; h++) {
      const float *xr = xp + i * img + h * xrow;
      const float *dr = dzp + ((size_t)i * H + h) * W * CoutP;
      for (int w = 0; w < W; w++) {
        vf d[JMAX];
        for (int j = 0; j < J; j++) d[j] = vload(dr + (size_t)w * CoutP + j * VLEN);
        for (int r = 0; r < R; r++) {
          vf xs = vsplat(xr[(size_t)w * Cin + r]);
          for (int j = 0; j < J; j++) acc[r][j] += xs * d[j];
        }
      }
    }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) {
      float *o = out + (size_t)r * CoutP + j * VLEN;
      vstore(o, vload(o) + acc[r][j]);
    }
}


#define WGRAD_GROUP_PIXELS 256

static void wgrad_range(const void *vargs, int begin, int end, int tid) {
  const wgrad_args *a = (const wgrad_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, Cout = a->Cout, CoutP = a->CoutP;
  const int G = group_images(H, W, WGRAD_GROUP_PIXELS);
  const size_t xrow = (size_t)(W + 2) * Cin;
  const size_t img = (size_t)(H + 2) * xrow;
  float *xpad = a->pad + tid * a->pad_stride;
  float *dzp = xpad + G * img;
  float *acc = a->acc + tid * a->acc_stride;
  const int vectors = CoutP / VLEN;
  int J, R;
  tile_shape(vectors, &J, &R);
  if (R > Cin) R = Cin;
  for (int n0 = begin; n0 < end; n0 += G) {
    int g = imin(G, end - n0);
    for (int i = 0; i < g; i++)
      pad_image(a->x + (size_t)(n0 + i) * H * W * Cin, H, W, Cin, xpad + i * img);
    const float *dz = a->dz + (size_t)n0 * H * W * Cout;
    const float *dzg = dz;
    if (Cout != CoutP) {
      for (size_t p = 0; p < (size_t)g * H * W; p++) {
        for (int c = 0; c < Cout; c++) dzp[p * CoutP + c] = dz[p * Cout + c];
        for (int c = Cout; c < CoutP; c++) dzp[p * CoutP + c] = 0;
      }
      dzg = dzp;
    }
    for (int t = 0; t < 9; t++) {
      int kh = t / 3, kw = t % 3;
      const float *xt = xpad + kh * xrow + (size_t)kw * Cin;
      for (int ci = 0; ci < Cin; ci += R) {
        int r = imin(R, Cin - ci);
        for (int v0 = 0; v0 < vectors; v0 += J) {
          int j = imin(J, vectors - v0);
          float *out = acc + ((size_t)t * Cin + ci) * CoutP + v0 * VLEN;
          const float *xc = xt + ci, *dc = dzg + v0 * VLEN;
#define WG_TILE(R, J) wgrad_tile(R, J, xc, xrow, img, Cin, W, H, g, dc, CoutP, out)
          DISPATCH_PJ(r, j, WG_TILE);
#undef WG_TILE
        }
      }
    }
  }
}

/*
 * Winograd filter gradient: dW = G^T [ sum over tiles (B^T d B) .* (A dy A^T) ] G, i.e. 16
 * GEMMs R[xi] (Cin x Cout) += V[xi]^T (Cin x tiles) . D[xi] (tiles x Cout), then one transform.
 */
typedef struct {
  const float *x, *dz;
  int N, H, W, Cin, CinP, Cout, CoutP, group;
  float *scratch;
  size_t scratch_stride, pad_floats;
  float *acc; /* per thread [16][Cin][CoutP] */
  size_t acc_stride;
} wino_wgrad_args;

static inline __attribute__((always_inline)) void wino_wgrad_tile(
    const int R, const int J, const float *restrict v, size_t vrow, const float *restrict d,
    int CoutP, int T, float *restrict out) {
  vf acc[PMAX][JMAX];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) acc[r][j] = (vf){0};
  for (int t = 0; t < T; t++) {
    vf dv[JMAX];
    for (int j = 0; j < J; j++) dv[j] = vload(d + (size_t)t * CoutP + j * VLEN);
    for (int r = 0; r < R; r++) {
      vf xs = vsplat(v[(size_t)t * vrow + r]);
      for (int j = 0; j < J; j++) acc[r][j] += xs * dv[j];
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) {
      float *o = out + (size_t)r * CoutP + j * VLEN;
      vstore(o, vload(o) + acc[r][j]);
    }
}


static void wino_wgrad_range(const void *vargs, int begin, int end, int tid) {
  const wino_wgrad_args *a = (const wino_wgrad_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, CinP = a->CinP, Cout = a->Cout, CoutP = a->CoutP;
  const int th = H / 2, tw = W / 2, tiles_img = th * tw;
  const size_t xrow = (size_t)(W + 2) * Cin, img = (size_t)(H + 2) * xrow;
  float *pad = a->scratch + tid * a->scratch_stride;
  float *V = pad + a->pad_floats;
  float *D = V + (size_t)16 * WINO_TB * CinP;
  float *acc = a->acc + tid * a->acc_stride;
  const size_t vplane = (size_t)WINO_TB * CinP, dplane = (size_t)WINO_TB * CoutP;
  const int vectors = CoutP / VLEN;
  int J, R;
  tile_shape(vectors, &J, &R);
  if (R > Cin) R = Cin;
  for (int n0 = begin; n0 < end; n0 += a->group) {
    const int g = imin(a->group, end - n0);
    for (int i = 0; i < g; i++)
      pad_image(a->x + (size_t)(n0 + i) * H * W * Cin, H, W, Cin, pad + i * img);
    const int tiles = g * tiles_img;
    for (int t0 = 0; t0 < tiles; t0 += WINO_TB) {
      const int tb = imin(WINO_TB, tiles - t0);
      for (int t = 0; t < tb; t++) {
        const int q = t0 + t, im = q / tiles_img, r = q % tiles_img, ty = r / tw, tx = r % tw;
        const float *d0 = pad + im * img + (size_t)(2 * ty) * xrow + (size_t)(2 * tx) * Cin;
        wino_input_tile(d0, xrow, Cin, V + (size_t)t * CinP, vplane);
        /* D = A dy A^T with A = [[1,0],[1,1],[1,-1],[0,-1]] */
        const float *y0 = a->dz + (((size_t)(n0 + im) * H + 2 * ty) * W + 2 * tx) * Cout;
        const float *y1 = y0 + (size_t)W * Cout;
        for (int c = 0; c < CoutP; c += VLEN) {
          vf e[2][2];
          if (c + VLEN <= Cout) {
            e[0][0] = vload(y0 + c), e[0][1] = vload(y0 + Cout + c);
            e[1][0] = vload(y1 + c), e[1][1] = vload(y1 + Cout + c);
          } else {
            for (int k = 0; k < 4; k++) e[k / 2][k % 2] = (vf){0};
            for (int l = 0; c + l < Cout; l++) {
              e[0][0][l] = y0[c + l], e[0][1][l] = y0[Cout + c + l];
              e[1][0][l] = y1[c + l], e[1][1][l] = y1[Cout + c + l];
            }
          }
          vf f[4][2];
          for (int j = 0; j < 2; j++) {
            f[0][j] = e[0][j];
            f[1][j] = e[0][j] + e[1][j];
            f[2][j] = e[0][j] - e[1][j];
            f[3][j] = -e[1][j];
          }
          float *dt = D + (size_t)t * CoutP + c;
          for (int i = 0; i < 4; i++) {
            vstore(dt + (i * 4 + 0) * dplane, f[i][0]);
            vstore(dt + (i * 4 + 1) * dplane, f[i][0] + f[i][1]);
            vstore(dt + (i * 4 + 2) * dplane, f[i][0] - f[i][1]);
            vstore(dt + (i * 4 + 3) * dplane, -f[i][1]);
          }
        }
      }
      for (int xi = 0; xi < 16; xi++) {
        const float *v = V + xi * vplane, *d = D + xi * dplane;
        float *out = acc + (size_t)xi * Cin * CoutP;
        for (int ci = 0; ci < Cin; ci += R) {
          const int r = imin(R, Cin - ci);
          for (int v0 = 0; v0 < vectors; v0 += J) {
            const int j = imin(J, vectors - v0);
            const float *vc = v + ci, *dc = d + v0 * VLEN;
            float *oc = out + (size_t)ci * CoutP + v0 * VLEN;
#define WW_TILE(R, J) wino_wgrad_tile(R, J, vc, CinP, dc, CoutP, tb, oc)
            DISPATCH_PJ(r, j, WW_TILE);
#undef WW_TILE
          }
        }
      }
    }
  }
}

static void conv3x3_wino_grad_filter(const float *x, const float *dz, int N, int H, int W,
                                     int Cin, int Cout, float *dw) {
  const int T = num_threads();
  const int CinP = round_up(Cin, VLEN), CoutP = round_up(Cout, VLEN);
  const int tiles_img = (H / 2) * (W / 2);
  wino_wgrad_args a = {x, dz, N, H, W, Cin, CinP, Cout, CoutP, 1, 0, 0, 0, 0, 0};
  a.group = WINO_TB / tiles_img > 1 ? WINO_TB / tiles_img : 1;
  a.pad_floats = ((size_t)a.group * (H + 2) * (W + 2) * Cin + VLEN + 15) & ~(size_t)15;
  size_t each = (a.pad_floats + (size_t)16 * WINO_TB * (CinP + CoutP)) * 4;
  a.scratch = (float *)scratch_per_thread(each, &a.scratch_stride, T);
  a.scratch_stride /= sizeof(float);
  a.acc = (float *)scratch_per_thread((size_t)16 * Cin * CoutP * 4, &a.acc_stride, T);
  a.acc_stride /= sizeof(float);
  const size_t total = a.acc_stride * T;
  for (size_t i = 0; i < total; i++) a.acc[i] = 0;
  parallel_for(wino_wgrad_range, &a, N);
  const int used = T < N ? T : N;
  const size_t plane = (size_t)Cin * CoutP;
  for (int th = 1; th < used; th++)
    for (size_t i = 0; i < 16 * plane; i++) a.acc[i] += a.acc[th * a.acc_stride + i];
  /* dW = G^T R G, G^T = [[1,.5,.5,0],[0,.5,-.5,0],[0,.5,.5,1]] */
  for (int ci = 0; ci < Cin; ci++)
    for (int c = 0; c < CoutP; c += VLEN) {
      vf r[4][4], t[3][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) r[i][j] = vload(a.acc + (i * 4 + j) * plane + (size_t)ci * CoutP + c);
      for (int j = 0; j < 4; j++) {
        t[0][j] = r[0][j] + (r[1][j] + r[2][j]) * 0.5f;
        t[1][j] = (r[1][j] - r[2][j]) * 0.5f;
        t[2][j] = (r[1][j] + r[2][j]) * 0.5f + r[3][j];
      }
      for (int i = 0; i < 3; i++) {
        vf g[3];
        g[0] = t[i][0] + (t[i][1] + t[i][2]) * 0.5f;
        g[1] = (t[i][1] - t[i][2]) * 0.5f;
        g[2] = (t[i][1] + t[i][2]) * 0.5f + t[i][3];
        for (int j = 0; j < 3; j++) {
          float *o = dw + ((size_t)(i * 3 + j) * Cin + ci) * Cout + c;
          const int lanes = imin(VLEN, Cout - c);
          if (lanes == VLEN) vstore(o, g[j]);
          else
            for (int l = 0; l < lanes; l++) o[l] = g[j][l];
        }
      }
    }
}

/* Gradient of conv3x3 with respect to its weight: dw[kh][kw][ci][co] = sum x(shifted) * dz. */
void EXPORT(slim_conv3x3_grad_filter)(const float *x, const float *dz, int N, int H, int W,
                                      int Cin, int Cout, float *dw) {
  if (wino_pays(H, W, Cin, Cout)) {
    conv3x3_wino_grad_filter(x, dz, N, H, W, Cin, Cout, dw);
    scratch_done();
    return;
  }
  const int T = num_threads();
  int CoutP = round_up(Cout, VLEN);
  wgrad_args a = {x, dz, N, H, W, Cin, Cout, CoutP, 0, 0, 0, 0};
  size_t G = (size_t)group_images(H, W, WGRAD_GROUP_PIXELS);
  size_t pad_each = G * ((size_t)(H + 2) * (W + 2) * Cin + (size_t)H * W * CoutP) * 4;
  a.pad = (float *)scratch_per_thread(pad_each, &a.pad_stride, T);
  a.pad_stride /= sizeof(float);
  a.acc = (float *)scratch_per_thread((size_t)9 * Cin * CoutP * 4, &a.acc_stride, T);
  a.acc_stride /= sizeof(float);
  const size_t total = a.acc_stride * T;
  for (size_t i = 0; i < total; i++) a.acc[i] = 0;
  parallel_for(wgrad_range, &a, N);
  const int used = T < N ? T : N;
  for (size_t row = 0; row < (size_t)9 * Cin; row++) {
    float *d = dw + row * Cout;
    const float *s0 = a.acc + row * CoutP;
    for (int o = 0; o < Cout; o++) d[o] = s0[o];
    for (int th = 1; th < used; th++) {
      const float *st = s0 + th * a.acc_stride;
      for (int o = 0; o < Cout; o++) d[o] += st[o];
    }
  }
  scratch_done();
}

/* ---------------------------------------------------------------- pooling */

typedef struct {
  const float *x, *dy;
  float *y;
  int N, H, W, C;
} pool_args;

static void maxpool_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const pool_args *a = (const pool_args *)vargs;
  const int W = a->W, C = a->C, Ho = a->H / 2, Wo = W / 2;
  for (int r = begin; r < end; r++) { /* r = n * Ho + ho */
    int n = r / Ho, ho = r % Ho;
    const float *x0 = a->x + (((size_t)n * a->H + 2 * ho) * W) * C;
    const float *x1 = x0 + (size_t)W * C;
    float *y = a->y + (size_t)r * Wo * C;
    for (int wo = 0; wo < Wo; wo++) {
      const float *p00 = x0 + (size_t)2 * wo * C, *p01 = p00 + C, *p10 = x1 + (size_t)2 * wo * C,
                  *p11 = p10 + C;
      float *o = y + (size_t)wo * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf m0 = vload(p00 + c), m1 = vload(p01 + c), m2 = vload(p10 + c), m3 = vload(p11 + c);
        vstore(o + c, vmax(vmax(m3, m2), vmax(m1, m0)));
      }
      for (; c < C; c++) {
        float m = p00[c];
        if (p01[c] > m) m = p01[c];
        if (p10[c] > m) m = p10[c];
        if (p11[c] > m) m = p11[c];
        o[c] = m;
      }
    }
  }
}

/* dx gets dy at the first maximum of each window (PyTorch's scan order), zero elsewhere. */
static void maxpool_grad_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const pool_args *a = (const pool_args *)vargs;
  const int W = a->W, C = a->C, Ho = a->H / 2, Wo = W / 2;
  float *dx = a->y;
  for (int r = begin; r < end; r++) {
    int n = r / Ho, ho = r % Ho;
    size_t row0 = (((size_t)n * a->H + 2 * ho) * W) * C;
    const float *x0 = a->x + row0, *x1 = x0 + (size_t)W * C;
    float *d0 = dx + row0, *d1 = d0 + (size_t)W * C;
    const float *dy = a->dy + (size_t)r * Wo * C;
    for (int wo = 0; wo < Wo; wo++) {
      size_t o0 = (size_t)2 * wo * C;
      const float *g = dy + (size_t)wo * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf v00 = vload(x0 + o0 + c), v01 = vload(x0 + o0 + C + c);
        vf v10 = vload(x1 + o0 + c), v11 = vload(x1 + o0 + C + c);
        vf m = vmax(vmax(v11, v10), vmax(v01, v00));
        vi e0 = v00 == m;
        vi e1 = (v01 == m) & ~e0;
        vi e2 = (v10 == m) & ~(e0 | e1);
        vi e3 = ~(e0 | e1 | e2);
        vi gv = (vi)vload(g + c);
        vstore(d0 + o0 + c, (vf)(gv & e0));
        vstore(d0 + o0 + C + c, (vf)(gv & e1));
        vstore(d1 + o0 + c, (vf)(gv & e2));
        vstore(d1 + o0 + C + c, (vf)(gv & e3));
      }
      for (; c < C; c++) {
        float v00 = x0[o0 + c], v01 = x0[o0 + C + c], v10 = x1[o0 + c], v11 = x1[o0 + C + c];
        int arg = 0;
        float m = v00;
        if (v01 > m) m = v01, arg = 1;
        if (v10 > m) m = v10, arg = 2;
        if (v11 > m) m = v11, arg = 3;
        d0[o0 + c] = arg == 0 ? g[c] : 0;
        d0[o0 + C + c] = arg == 1 ? g[c] : 0;
        d1[o0 + c] = arg == 2 ? g[c] : 0;
        d1[o0 + C + c] = arg == 3 ? g[c] : 0;
      }
    }
    if (W & 1) { /* the last column of an odd width is in no window */
      size_t last = (size_t)(W - 1) * C;
      for (int c = 0; c < C; c++) d0[last + c] = 0, d1[last + c] = 0;
    }
    if ((a->H & 1) && ho == Ho - 1) { /* nor is the last row of an odd height */
      float *d2 = d1 + (size_t)W * C;
      for (size_t i = 0; i < (size_t)W * C; i++) d2[i] = 0;
    }
  }
}

void EXPORT(slim_maxpool2)(const float *x, int N, int H, int W, int C, float *y) {
  pool_args a = {x, 0, y, N, H, W, C};
  parallel_for(maxpool_range, &a, N * (H / 2));
}

void EXPORT(slim_maxpool2_grad)(const float *x, const float *dy, int N, int H, int W, int C,
                                float *dx) {
  pool_args a = {x, dy, dx, N, H, W, C};
  parallel_for(maxpool_grad_range, &a, N * (H / 2));
}

/* ---------------------------------------------------------------- optimizer */

/*
 * PyTorch SGD (momentum, weight decay, dampening 0, no Nesterov) with an extra L1
 * subgradient l1 * sign(p) added to the gradient first (Network Slimming's updateBN):
 *   d = g + l1 * sign(p) + wd * p;  buf = first ? d : momentum * buf + d;  p -= lr * buf.
 */
void EXPORT(slim_sgd)(float *p, const float *g, float *buf, int n, float lr, float momentum,
                      float wd, float l1, int first) {
  for (int i = 0; i < n; i++) {
    float s = p[i] > 0 ? 1.0f : (p[i] < 0 ? -1.0f : 0.0f);
    float d = g[i] + l1 * s + wd * p[i];
    float b = first ? d : momentum * buf[i] + d;
    buf[i] = b;
    p[i] = p[i] - lr * b;
  }
}

/* Number of threads kernels run on. */
int EXPORT(slim_threads)(void) { return num_threads(); }
/* Floats per SIMD vector this build uses. */
int EXPORT(slim_vector_width)(void) { return VLEN; }
