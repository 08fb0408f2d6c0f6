/*
 * conv_im2col.c: any other KxK convolution (stride s, zero padding top/left given, no
 * dilation; e.g. the 3x3 stride-2 convs of ResNet's transitions) by patches: each block of
 * output pixels of one image becomes rows of KH*KW*Cin input values (zero outside the image),
 * multiplied by the HWIO weight seen as [KH*KW*Cin][Cout]. The input gradient multiplies dy by
 * the transposed weight and adds the patches back; the filter gradient sums patch^T . dy.
 * Work is split by images, so the input gradient's additions never race.
 */
#include "gemm_tile.h"

typedef struct {
  int N, H, W, Cin, KH, KW, Cout, s, pt, pl, Ho, Wo;
} conv_geom;

#define IM2COL_BLOCK 64

/* Patch rows of output pixels [q0, q0 + rows) of image x (one image, NHWC) into p. */
static void im2col(const conv_geom *g, const float *x, int q0, int rows, float *p) {
  const int KC = g->KH * g->KW * g->Cin;
  for (int r = 0; r < rows; r++) {
    int ho = (q0 + r) / g->Wo, wo = (q0 + r) % g->Wo;
    float *row = p + (size_t)r * KC;
    for (int kh = 0; kh < g->KH; kh++)
      for (int kw = 0; kw < g->KW; kw++) {
        int ih = ho * g->s + kh - g->pt, iw = wo * g->s + kw - g->pl;
        float *dst = row + (size_t)(kh * g->KW + kw) * g->Cin;
        if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) {
          for (int c = 0; c < g->Cin; c++) dst[c] = 0;
        } else {
          __builtin_memcpy(dst, x + ((size_t)ih * g->W + iw) * g->Cin, (size_t)g->Cin * 4);
        }
      }
  }
}

/* Adds patch rows back into image dx (the transpose of im2col). */
static void col2im_add(const conv_geom *g, const float *p, int q0, int rows, float *dx) {
  const int KC = g->KH * g->KW * g->Cin;
  for (int r = 0; r < rows; r++) {
    int ho = (q0 + r) / g->Wo, wo = (q0 + r) % g->Wo;
    const float *row = p + (size_t)r * KC;
    for (int kh = 0; kh < g->KH; kh++)
      for (int kw = 0; kw < g->KW; kw++) {
        int ih = ho * g->s + kh - g->pt, iw = wo * g->s + kw - g->pl;
        if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) continue;
        const float *src = row + (size_t)(kh * g->KW + kw) * g->Cin;
        float *dst = dx + ((size_t)ih * g->W + iw) * g->Cin;
        for (int c = 0; c < g->Cin; c++) dst[c] += src[c];
      }
  }
}

/* C rows [rows][N] = A rows [rows][K] . B packed [K][NP] (all rows contiguous). */
static void block_gemm(const float *a, int K, const float *b, int N, int NP, float *c, int rows) {
  const int vectors = NP / VLEN;
  int J, P;
  tile_shape(vectors, &J, &P);
  for (int v0 = 0; v0 < vectors; v0 += J) {
    int j = imin(J, vectors - v0);
    for (int q = 0; q < rows; q += P) {
      int p = imin(P, rows - q);
      const float *arow[PMAX];
      float *crow[PMAX];
      for (int k = 0; k < p; k++) arow[k] = a + (size_t)(q + k) * K, crow[k] = c + (size_t)(q + k) * N;
#define BLOCK_TILE(P, J) gemm_tile(P, J, arow, K, b, NP, crow, N, v0 * VLEN)
      DISPATCH_PJ(p, j, BLOCK_TILE);
#undef BLOCK_TILE
    }
  }
}

typedef struct {
  conv_geom g;
  const float *in;  /* x (forward, filter gradient) or dy (input gradient) */
  const float *in2; /* dy (filter gradient) */
  const float *b;   /* packed weight (forward: [KC][CoutP], input gradient: [Cout][KCP]) */
  float *out;       /* y or dx; per-thread accumulators for the filter gradient */
  float *buf;       /* per-thread scratch */
  size_t buf_stride;
} im2col_args;

static void forward_range(const void *vargs, int begin, int end, int tid) {
  const im2col_args *a = (const im2col_args *)vargs;
  const conv_geom *g = &a->g;
  const int KC = g->KH * g->KW * g->Cin, M = g->Ho * g->Wo;
  float *p = a->buf + tid * a->buf_stride;
  for (int n = begin; n < end; n++)
    for (int q0 = 0; q0 < M; q0 += IM2COL_BLOCK) {
      int rows = imin(IM2COL_BLOCK, M - q0);
      im2col(g, a->in + (size_t)n * g->H * g->W * g->Cin, q0, rows, p);
      float *y = a->out + ((size_t)n * M + q0) * g->Cout;
      block_gemm(p, KC, a->b, g->Cout, round_up(g->Cout, VLEN), y, rows);
    }
}

static void grad_input_range(const void *vargs, int begin, int end, int tid) {
  const im2col_args *a = (const im2col_args *)vargs;
  const conv_geom *g = &a->g;
  const int KC = g->KH * g->KW * g->Cin, M = g->Ho * g->Wo;
  float *p = a->buf + tid * a->buf_stride;
  for (int n = begin; n < end; n++) {
    float *dx = a->out + (size_t)n * g->H * g->W * g->Cin;
    __builtin_memset(dx, 0, (size_t)g->H * g->W * g->Cin * 4);
    for (int q0 = 0; q0 < M; q0 += IM2COL_BLOCK) {
      int rows = imin(IM2COL_BLOCK, M - q0);
      const float *dy = a->in + ((size_t)n * M + q0) * g->Cout;
      block_gemm(dy, g->Cout, a->b, KC, round_up(KC, VLEN), p, rows);
      col2im_add(g, p, q0, rows, dx);
    }
  }
}

static void grad_filter_range(const void *vargs, int begin, int end, int tid) {
  const im2col_args *a = (const im2col_args *)vargs;
  const conv_geom *g = &a->g;
  const int KC = g->KH * g->KW * g->Cin, M = g->Ho * g->Wo, CoutP = round_up(g->Cout, VLEN);
  float *acc = a->buf + tid * a->buf_stride;
  float *xb = acc + (size_t)KC * CoutP, *db = xb + (size_t)IM2COL_BLOCK * KC;
  const int vectors = CoutP / VLEN;
  int J, R;
  tile_shape(vectors, &J, &R);
  for (int n = begin; n < end; n++)
    for (int q0 = 0; q0 < M; q0 += IM2COL_BLOCK) {
      int rows = imin(IM2COL_BLOCK, M - q0);
      im2col(g, a->in + (size_t)n * g->H * g->W * g->Cin, q0, rows, xb);
      pad_columns(a->in2 + ((size_t)n * M + q0) * g->Cout, rows, g->Cout, CoutP, db);
      wgrad_block(xb, KC, db, CoutP, rows, R, J, acc);
    }
}

static conv_geom geometry(int N, int H, int W, int Cin, int KH, int KW, int Cout, int s, int pt,
                          int pl, int Ho, int Wo) {
  conv_geom g = {N, H, W, Cin, KH, KW, Cout, s, pt, pl, Ho, Wo};
  return g;
}

/*
 * y [N][Ho][Wo][Cout] = conv of x [N][H][W][Cin] with w [KH][KW][Cin][Cout] (pointer arguments
 * first, then the geometry, as kernel_lib.ts's geometryArgs orders it).
 */
void EXPORT(slim_conv_im2col)(const float *x, const float *w, int N, int H, int W, int Cin,
                              int KH, int KW, int Cout, int s, int pt, int pl, int Ho, int Wo,
                              float *y) {
  im2col_args a = {geometry(N, H, W, Cin, KH, KW, Cout, s, pt, pl, Ho, Wo), x, 0, 0, y, 0, 0};
  const int KC = KH * KW * Cin, CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)KC * CoutP * 4);
  for (int k = 0; k < KC; k++)
    for (int o = 0; o < CoutP; o++) wp[(size_t)k * CoutP + o] = o < Cout ? w[(size_t)k * Cout + o] : 0;
  a.b = wp;
  a.buf = (float *)scratch_per_thread((size_t)IM2COL_BLOCK * KC * 4, &a.buf_stride, num_threads());
  a.buf_stride /= sizeof(float);
  parallel_for(forward_range, &a, N);
  scratch_done();
}

/* dx [N][H][W][Cin] of slim_conv_im2col given dy [N][Ho][Wo][Cout]. */
void EXPORT(slim_conv_im2col_grad_input)(const float *dy, const float *w, int N, int H, int W,
                                         int Cin, int KH, int KW, int Cout, int s, int pt, int pl,
                                         int Ho, int Wo, float *dx) {
  im2col_args a = {geometry(N, H, W, Cin, KH, KW, Cout, s, pt, pl, Ho, Wo), dy, 0, 0, dx, 0, 0};
  const int KC = KH * KW * Cin, KCP = round_up(KC, VLEN);
  float *wp = (float *)scratch_alloc((size_t)Cout * KCP * 4);
  for (int o = 0; o < Cout; o++)
    for (int k = 0; k < KCP; k++) wp[(size_t)o * KCP + k] = k < KC ? w[(size_t)k * Cout + o] : 0;
  a.b = wp;
  a.buf = (float *)scratch_per_thread((size_t)IM2COL_BLOCK * KCP * 4, &a.buf_stride, num_threads());
  a.buf_stride /= sizeof(float);
  parallel_for(grad_input_range, &a, N);
  scratch_done();
}

/* dw [KH][KW][Cin][Cout] of slim_conv_im2col given x and dy. */
void EXPORT(slim_conv_im2col_grad_filter)(const float *x, const float *dy, int N, int H, int W,
                                          int Cin, int KH, int KW, int Cout, int s, int pt,
                                          int pl, int Ho, int Wo, float *dw) {
  im2col_args a = {geometry(N, H, W, Cin, KH, KW, Cout, s, pt, pl, Ho, Wo), x, dy, 0, 0, 0, 0};
  const int T = num_threads(), KC = KH * KW * Cin, CoutP = round_up(Cout, VLEN);
  size_t each = ((size_t)KC * CoutP + (size_t)IM2COL_BLOCK * (KC + CoutP)) * 4;
  a.buf = (float *)scratch_per_thread(each, &a.buf_stride, T);
  a.buf_stride /= sizeof(float);
  for (int t = 0; t < T; t++) __builtin_memset(a.buf + t * a.buf_stride, 0, (size_t)KC * CoutP * 4);
  parallel_for(grad_filter_range, &a, N);
  for (int k = 0; k < KC; k++)
    for (int o = 0; o < Cout; o++) {
      float sum = 0;
      for (int t = 0; t < T; t++) sum += a.buf[t * a.buf_stride + (size_t)k * CoutP + o];
      dw[(size_t)k * Cout + o] = sum;
    }
  scratch_done();
}
