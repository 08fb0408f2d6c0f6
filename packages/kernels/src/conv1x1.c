/*
 * conv1x1.c: the 1x1 convolution (no padding, stride s) as matrix products over pixels:
 * forward y [M][Cout] = x_s [M][Cin] . w [Cin][Cout], input gradient dx_s = dy . w^T (zero at
 * the pixels a stride skips), filter gradient dw = x_s^T . dy, where x_s are the input pixels
 * (n, h * s, w * s) the output pixels read. NHWC activations, w as HWIO [1][1][Cin][Cout].
 */
#include "gemm_tile.h"

/* Geometry: output pixel m reads input pixel in_row(m) (the two are equal at stride 1). */
typedef struct {
  int H, W, Ho, Wo, s;
} geom;

static inline size_t in_row(const geom *g, size_t m) {
  if (g->s == 1) return m;
  size_t wo = m % g->Wo, t = m / g->Wo, ho = t % g->Ho, n = t / g->Ho;
  return (n * g->H + ho * g->s) * g->W + wo * g->s;
}

typedef struct {
  const float *a; /* rows of K floats (input pixels when a_strided) */
  int K;
  const float *b; /* packed [K][NP] */
  int N, NP;
  float *c; /* rows of N floats (input pixels when c_strided) */
  size_t M;
  geom g;
  int a_strided, c_strided;
  /* When set: a's rows are used as max(0, a * in_scale + in_shift), made per block of rows in
   * a per-thread buffer (GEMM_BLOCK_ROWS rows of K floats, in_buf + tid * in_buf_stride). */
  const float *in_scale, *in_shift;
  float *in_buf;
  size_t in_buf_stride;
} gemm_args;

#define GEMM_BLOCK_ROWS 64

static void gemm_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const gemm_args *a = (const gemm_args *)vargs;
  const int vectors = a->NP / VLEN;
  int J, P;
  tile_shape(vectors, &J, &P);
  float *tb = a->in_scale ? a->in_buf + tid * a->in_buf_stride : 0;
  for (int blk = begin; blk < end; blk++) {
    size_t m0 = (size_t)blk * GEMM_BLOCK_ROWS;
    size_t m1 = m0 + GEMM_BLOCK_ROWS < a->M ? m0 + GEMM_BLOCK_ROWS : a->M;
    if (tb)
      for (size_t m = m0; m < m1; m++) {
        size_t am = a->a_strided ? in_row(&a->g, m) : m;
        affine_relu_row(a->a + am * a->K, a->K, a->in_scale, a->in_shift,
                        tb + (m - m0) * a->K);
      }
    for (int v0 = 0; v0 < vectors; v0 += J) {
      int j = imin(J, vectors - v0);
      for (size_t q = m0; q < m1; q += P) {
        int p = (int)(m1 - q < (size_t)P ? m1 - q : (size_t)P);
        const float *arow[PMAX];
        float *crow[PMAX];
        for (int k = 0; k < p; k++) {
          size_t am = a->a_strided ? in_row(&a->g, q + k) : q + k;
          size_t cm = a->c_strided ? in_row(&a->g, q + k) : q + k;
          arow[k] = tb ? tb + (q + k - m0) * a->K : a->a + am * a->K;
          crow[k] = a->c + cm * a->N;
        }
#define GEMM_TILE(P, J) gemm_tile(P, J, arow, a->K, a->b, a->NP, crow, a->N, v0 * VLEN)
        DISPATCH_PJ(p, j, GEMM_TILE);
#undef GEMM_TILE
      }
    }
  }
}

static geom make_geom(int H, int W, int s) {
  geom g = {H, W, (H + s - 1) / s, (W + s - 1) / s, s};
  return g;
}

static void run_gemm(gemm_args *a) {
  parallel_for(gemm_range, a, (int)((a->M + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS));
}

/* y [N][Ho][Wo][Cout] = 1x1 conv of x [N][H][W][Cin] with w [Cin][Cout], stride s. */
void EXPORT(slim_conv1x1)(const float *x, int N, int H, int W, int Cin, const float *w, int Cout,
                          int s, float *y) {
  int CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)Cin * CoutP * 4);
  for (int i = 0; i < Cin; i++)
    for (int o = 0; o < CoutP; o++) wp[(size_t)i * CoutP + o] = o < Cout ? w[(size_t)i * Cout + o] : 0;
  geom g = make_geom(H, W, s);
  gemm_args a = {x, Cin, wp, Cout, CoutP, y, (size_t)N * g.Ho * g.Wo, g, s != 1, 0, 0, 0, 0, 0};
  run_gemm(&a);
  scratch_done();
}

/*
 * Training forward of the pre-activation BN (batch statistics) -> ReLU -> 1x1 conv (stride s):
 * y [N][Ho][Wo][Cout] = conv1x1(max(0, x * scale + shift)) with the BN's batch mean and biased
 * variance written to mean, var; the activation itself is made a block of rows at a time and
 * never stored (the backward recomputes it: slim_conv1x1_grad_filter_bn_relu).
 */
void EXPORT(slim_bn_relu_conv1x1)(const float *x, int N, int H, int W, int Cin,
                                  const float *gamma, const float *beta, float eps,
                                  const float *w, int Cout, int s, float *y, float *mean,
                                  float *var) {
  int CinP = round_up(Cin, VLEN), CoutP = round_up(Cout, VLEN);
  float *scale = (float *)scratch_alloc((size_t)2 * CinP * 4), *shift = scale + CinP;
  bn_batch_affine(x, (size_t)N * H * W, Cin, gamma, beta, eps, mean, var, scale, shift);
  float *wp = (float *)scratch_alloc((size_t)Cin * CoutP * 4);
  for (int i = 0; i < Cin; i++)
    for (int o = 0; o < CoutP; o++) wp[(size_t)i * CoutP + o] = o < Cout ? w[(size_t)i * Cout + o] : 0;
  geom g = make_geom(H, W, s);
  gemm_args a = {x, Cin, wp, Cout, CoutP, y, (size_t)N * g.Ho * g.Wo, g, s != 1, 0,
                 scale, shift, 0, 0};
  a.in_buf = (float *)scratch_per_thread((size_t)GEMM_BLOCK_ROWS * Cin * sizeof(float),
                                         &a.in_buf_stride, num_threads());
  a.in_buf_stride /= sizeof(float);
  run_gemm(&a);
  scratch_done();
}

/* dx [N][H][W][Cin] of the 1x1 conv given dy [N][Ho][Wo][Cout] (zero where a stride skips). */
void EXPORT(slim_conv1x1_grad_input)(const float *dy, int N, int H, int W, int Cin,
                                     const float *w, int Cout, int s, float *dx) {
  int CinP = round_up(Cin, VLEN);
  float *wp = (float *)scratch_alloc((size_t)Cout * CinP * 4);
  for (int o = 0; o < Cout; o++)
    for (int i = 0; i < CinP; i++) wp[(size_t)o * CinP + i] = i < Cin ? w[(size_t)i * Cout + o] : 0;
  geom g = make_geom(H, W, s);
  if (s != 1) __builtin_memset(dx, 0, (size_t)N * H * W * Cin * sizeof(float));
  gemm_args a = {dy, Cout, wp, Cin, CinP, dx, (size_t)N * g.Ho * g.Wo, g, 0, s != 1, 0, 0, 0, 0};
  run_gemm(&a);
  scratch_done();
}

/* ---------------------------------------------------------------- filter gradient */

typedef struct {
  const float *x, *dy;
  int Cin, Cout, CoutP;
  size_t M;
  geom g;
  float *buf; /* per thread: acc [Cin][CoutP], x block [B][Cin], dy block [B][CoutP] */
  size_t buf_stride;
  const float *in_scale, *in_shift; /* when set, x's rows are used as max(0, x * scale + shift) */
} wgrad1_args;

#define WGRAD1_BLOCK 128

static void wgrad1_range(const void *vargs, int begin, int end, int tid) {
  const wgrad1_args *a = (const wgrad1_args *)vargs;
  const int Cin = a->Cin, Cout = a->Cout, CoutP = a->CoutP, vectors = CoutP / VLEN;
  float *acc = a->buf + tid * a->buf_stride;
  float *xb = acc + (size_t)Cin * CoutP, *db = xb + (size_t)WGRAD1_BLOCK * Cin;
  int J, R;
  tile_shape(vectors, &J, &R);
  for (int blk = begin; blk < end; blk++) {
    size_t m0 = (size_t)blk * WGRAD1_BLOCK;
    int rows = (int)(a->M - m0 < WGRAD1_BLOCK ? a->M - m0 : WGRAD1_BLOCK);
    for (int m = 0; m < rows; m++) {
      const float *xr = a->x + in_row(&a->g, m0 + m) * Cin;
      if (a->in_scale) affine_relu_row(xr, Cin, a->in_scale, a->in_shift, xb + (size_t)m * Cin);
      else __builtin_memcpy(xb + (size_t)m * Cin, xr, (size_t)Cin * sizeof(float));
    }
    pad_columns(a->dy + m0 * Cout, rows, Cout, CoutP, db);
    wgrad_block(xb, Cin, db, CoutP, rows, R, J, acc);
  }
}

static void conv1x1_grad_filter(const float *x, const float *dy, int N, int H, int W, int Cin,
                                int Cout, int s, const float *in_scale, const float *in_shift,
                                float *dw) {
  int T = num_threads();
  int CoutP = round_up(Cout, VLEN);
  geom g = make_geom(H, W, s);
  wgrad1_args a = {x, dy, Cin, Cout, CoutP, (size_t)N * g.Ho * g.Wo, g, 0, 0, in_scale, in_shift};
  size_t each = ((size_t)Cin * CoutP + (size_t)WGRAD1_BLOCK * (Cin + CoutP)) * sizeof(float);
  a.buf = (float *)scratch_per_thread(each, &a.buf_stride, T);
  a.buf_stride /= sizeof(float);
  for (int t = 0; t < T; t++)
    __builtin_memset(a.buf + t * a.buf_stride, 0, (size_t)Cin * CoutP * sizeof(float));
  parallel_for(wgrad1_range, &a, (int)((a.M + WGRAD1_BLOCK - 1) / WGRAD1_BLOCK));
  for (int i = 0; i < Cin; i++)
    for (int o = 0; o < Cout; o++) {
      float sum = 0;
      for (int t = 0; t < T; t++) sum += a.buf[t * a.buf_stride + (size_t)i * CoutP + o];
      dw[(size_t)i * Cout + o] = sum;
    }
  scratch_done();
}

/* dw [Cin][Cout] of the 1x1 conv of x [N][H][W][Cin] given dy [N][Ho][Wo][Cout]. */
void EXPORT(slim_conv1x1_grad_filter)(const float *x, const float *dy, int N, int H, int W,
                                      int Cin, int Cout, int s, float *dw) {
  conv1x1_grad_filter(x, dy, N, H, W, Cin, Cout, s, 0, 0, dw);
}

/*
 * dw of slim_bn_relu_conv1x1 given dy: the 1x1 conv's filter gradient on the recomputed
 * activation max(0, x * scale + shift), the affine from the forward's batch mean and variance.
 */
void EXPORT(slim_conv1x1_grad_filter_bn_relu)(const float *x, const float *dy, int N, int H,
                                              int W, int Cin, int Cout, int s,
                                              const float *gamma, const float *beta,
                                              const float *mean, const float *var, float eps,
                                              float *dw) {
  int CinP = round_up(Cin, VLEN);
  float *scale = (float *)scratch_alloc((size_t)2 * CinP * 4), *shift = scale + CinP;
  bn_scale_shift(gamma, beta, mean, var, eps, Cin, scale, shift);
  conv1x1_grad_filter(x, dy, N, H, W, Cin, Cout, s, scale, shift, dw);
}
