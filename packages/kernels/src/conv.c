/*
 * conv.c: the direct 3x3 convolution (register-tiled, with an optional BN statistics and
 * affine + ReLU epilogue), the choice between it and Winograd, and the exported plain,
 * inference and input-gradient convolutions.
 */
#include "slim_internal.h"

/* ---------------------------------------------------------------- weights */

/* [3][3][Cin][Cout] -> [9][Cin][CoutP], zero-padded to a multiple of VLEN. */
void pack_forward(const float *w, int Cin, int Cout, int CoutP, float *out) {
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

/* ---------------------------------------------------------------- direct conv3x3 */

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
          for (int j = 0; j < J; j++) acc[p][j] = vmadd(wv[j], xs, acc[p][j]);
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

void conv3x3_run(const float *x, int N, int H, int W, int Cin, const float *wpacked, int Cout,
                 int CoutP, float *out, double *stats_out, const float *scale,
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
