/*
 * winograd.c: the 3x3 convolution as Winograd F(m x m, 3x3) for H and W multiples of m, with
 * m = 4 (6x6 input tiles, 36 small GEMMs, 36 multiplies per 16 outputs) where H and W allow,
 * else m = 2 (4x4 input tiles, 16 GEMMs, 16 multiplies per 4 outputs); the direct path does
 * 36 per output. U = G g G^T per (ci, co), V = B^T d B per input tile, M = sum_ci U .* V,
 * y = A^T M A. The matrices are Lavin and Gray's (2016) for F(2x2, 3x3) and F(4x4, 3x3), with
 * interpolation points 0, 1, -1 (m = 2) and 0, 1, -1, 2, -2 (m = 4). Same contract as the
 * direct path (conv.c), which calls it where wino_pays().
 */
#include "slim_internal.h"

typedef struct {
  const float *x;
  int N, H, W, Cin, CinP;
  const float *U; /* [planes][Cin][CoutP] */
  int Cout, CoutP;
  float *out;
  float *scratch;
  size_t scratch_stride, pad_floats, v_floats;
  double *stats;
  size_t stats_stride;
  const float *scale, *shift;
  int group;
  int m; /* output tile side: 2 or 4 */
} wino_args;

/* U[xi][ci][co] = (G g G^T)[xi], F(2x2, 3x3), from weights packed as [9][Cin][CoutP]. */
static void wino_filter2(const float *wp, int Cin, int CoutP, float *U) {
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

/* The 1-D filter transform of F(4x4, 3x3): u = G g with G's rows (1/4, 0, 0), -(1, 1, 1)/6,
 * -(1, -1, 1)/6, (1/24, 1/12, 1/6), (1/24, -1/12, 1/6), (0, 0, 1). */
static inline __attribute__((always_inline)) void wino4_g(vf g0, vf g1, vf g2, vf u[6]) {
  u[0] = g0 * 0.25f;
  u[1] = (g0 + g1 + g2) * (-1.0f / 6);
  u[2] = (g0 - g1 + g2) * (-1.0f / 6);
  u[3] = g0 * (1.0f / 24) + g1 * (1.0f / 12) + g2 * (1.0f / 6);
  u[4] = g0 * (1.0f / 24) - g1 * (1.0f / 12) + g2 * (1.0f / 6);
  u[5] = g2;
}

/* U[xi][ci][co] = (G g G^T)[xi], F(4x4, 3x3), from weights packed as [9][Cin][CoutP]. */
static void wino_filter4(const float *wp, int Cin, int CoutP, float *U) {
  const size_t plane = (size_t)Cin * CoutP;
  for (int ci = 0; ci < Cin; ci++)
    for (int c = 0; c < CoutP; c += VLEN) {
      vf g[3][3], t[3][6], u[6];
      for (int k = 0; k < 9; k++) g[k / 3][k % 3] = vload(wp + k * plane + (size_t)ci * CoutP + c);
      for (int i = 0; i < 3; i++) wino4_g(g[i][0], g[i][1], g[i][2], t[i]); /* rows: g G^T */
      for (int j = 0; j < 6; j++) {
        wino4_g(t[0][j], t[1][j], t[2][j], u); /* columns: G (g G^T) */
        for (int i = 0; i < 6; i++) vstore(U + (size_t)(i * 6 + j) * plane + (size_t)ci * CoutP + c, u[i]);
      }
    }
}

/* The 1-D output transform of F(4x4, 3x3): y = A^T m. */
static inline __attribute__((always_inline)) void wino4_at(const vf m[6], vf y[4]) {
  const vf p1 = m[1] + m[2], d1 = m[1] - m[2], p3 = m[3] + m[4], d3 = m[3] - m[4];
  y[0] = m[0] + p1 + p3;
  y[1] = d1 + d3 * 2.0f;
  y[2] = p1 + p3 * 4.0f;
  y[3] = d1 + d3 * 8.0f + m[5];
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
      for (int j = 0; j < J; j++) acc[p][j] = vmadd(uv[j], xs, acc[p][j]);
    }
  }
  for (int p = 0; p < P; p++)
    for (int j = 0; j < J; j++) vstore(m + (size_t)p * CoutP + j * VLEN, acc[p][j]);
}


/* Y = A^T M A for one tile's planes M (at m, planes mplane apart), F(2x2, 3x3): y[0..3] row-major. */
static inline __attribute__((always_inline)) void wino2_output_tile(const float *m, size_t mplane,
                                                                    vf y[16]) {
  vf mm[4][4], s[4][2];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) mm[i][j] = vload(m + (i * 4 + j) * mplane);
  for (int i = 0; i < 4; i++) {
    s[i][0] = mm[i][0] + mm[i][1] + mm[i][2];
    s[i][1] = mm[i][1] - mm[i][2] - mm[i][3];
  }
  y[0] = s[0][0] + s[1][0] + s[2][0];
  y[1] = s[0][1] + s[1][1] + s[2][1];
  y[2] = s[1][0] - s[2][0] - s[3][0];
  y[3] = s[1][1] - s[2][1] - s[3][1];
}

/* Y = A^T M A for one tile's planes M, F(4x4, 3x3): y[16] row-major. */
static inline __attribute__((always_inline)) void wino4_output_tile(const float *m, size_t mplane,
                                                                    vf y[16]) {
  vf t[6][4];
  for (int i = 0; i < 6; i++) {
    vf row[6];
    for (int j = 0; j < 6; j++) row[j] = vload(m + (i * 6 + j) * mplane);
    wino4_at(row, t[i]); /* t[i] = row i of M A */
  }
  for (int j = 0; j < 4; j++) {
    vf col[6], out[4];
    for (int i = 0; i < 6; i++) col[i] = t[i][j];
    wino4_at(col, out);
    for (int i = 0; i < 4; i++) y[i * 4 + j] = out[i];
  }
}

/*
 * One thread's images, a block of WINO_TB tiles at a time: input transform, the GEMMs (one per
 * plane), the output transform and epilogue. Long, but one pass: the block's V and M stay in
 * cache between the three steps.
 */
static void wino_range(const void *vargs, int begin, int end, int tid) {
  const wino_args *a = (const wino_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, CinP = a->CinP, Cout = a->Cout, CoutP = a->CoutP;
  const int m = a->m, alpha = m + 2, planes = alpha * alpha;
  const int th = H / m, tw = W / m, tiles_img = th * tw;
  const size_t xrow = (size_t)(W + 2) * Cin, img = (size_t)(H + 2) * xrow;
  float *pad = a->scratch + tid * a->scratch_stride;
  float *V = pad + a->pad_floats;
  float *M = V + a->v_floats;
  float *fs = M + (size_t)planes * WINO_TB * CoutP, *fq = fs + CoutP;
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
        const float *d0 = pad + im * img + (size_t)(m * ty) * xrow + (size_t)(m * tx) * Cin;
        wino_input_tile(m, d0, xrow, Cin, V + (size_t)t * CinP, vplane);
      }
      /* one GEMM a plane: M[xi] (tb x CoutP) = V[xi] (tb x Cin) . U[xi] (Cin x CoutP) */
      for (int xi = 0; xi < planes; xi++) {
        const float *v = V + xi * vplane, *u = a->U + (size_t)xi * Cin * CoutP;
        float *mx = M + xi * mplane;
        for (int v0 = 0; v0 < vectors; v0 += J) {
          const int j = imin(J, vectors - v0);
          for (int r0 = 0; r0 < tb; r0 += P) {
            const int p = imin(P, tb - r0);
            const float *vr = v + (size_t)r0 * CinP, *ub = u + v0 * VLEN;
            float *mb = mx + (size_t)r0 * CoutP + v0 * VLEN;
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
        float *o0 = a->out + (((size_t)(n0 + im) * H + m * ty) * W + m * tx) * Cout;
        for (int c = 0; c < CoutP; c += VLEN) {
          vf y[16];
          if (m == 4) wino4_output_tile(M + (size_t)t * CoutP + c, mplane, y);
          else wino2_output_tile(M + (size_t)t * CoutP + c, mplane, y);
          const int lanes = imin(VLEN, Cout - c), outputs = m * m;
          if (st) {
            vf sum = (vf){0}, sq = (vf){0};
            for (int k = 0; k < outputs; k++) sum += y[k], sq += y[k] * y[k];
            vstore(fs + c, vload(fs + c) + sum);
            vstore(fq + c, vload(fq + c) + sq);
          }
          if (a->scale) {
            vf sc = (vf){0}, sh = (vf){0};
            for (int l = 0; l < lanes; l++) sc[l] = a->scale[c + l], sh[l] = a->shift[c + l];
            for (int k = 0; k < outputs; k++) y[k] = vmax0(y[k] * sc + sh);
          }
          for (int k = 0; k < outputs; k++) {
            float *dst = o0 + ((size_t)(k / m) * W + k % m) * Cout + c;
            if (lanes == VLEN) vstore(dst, y[k]);
            else
              for (int l = 0; l < lanes; l++) dst[l] = y[k][l];
          }
        }
      }
      if (st)
        for (int c = 0; c < Cout; c++) st[c] += fs[c], st[CoutP + c] += fq[c];
    }
  }
}

void conv3x3_wino_run(const float *x, int N, int H, int W, int Cin, const float *wpacked,
                      int Cout, int CoutP, float *out, double *stats_out, const float *scale,
                      const float *shift) {
  const int T = num_threads();
  const int CinP = round_up(Cin, VLEN);
  const int m = wino_tile_side(H, W), planes = (m + 2) * (m + 2);
  wino_args a = {x, N, H, W, Cin, CinP, 0, Cout, CoutP, out, 0, 0, 0, 0, 0, 0, scale, shift, 1, m};
  float *U = (float *)scratch_alloc((size_t)planes * Cin * CoutP * 4);
  if (m == 4) wino_filter4(wpacked, Cin, CoutP, U);
  else wino_filter2(wpacked, Cin, CoutP, U);
  a.U = U;
  const int tiles_img = (H / m) * (W / m);
  a.group = WINO_TB / tiles_img > 1 ? WINO_TB / tiles_img : 1;
  a.pad_floats = (size_t)a.group * (H + 2) * (W + 2) * Cin + VLEN;
  a.pad_floats = (a.pad_floats + 15) & ~(size_t)15;
  a.v_floats = (size_t)planes * WINO_TB * CinP;
  size_t each =
      (a.pad_floats + a.v_floats + (size_t)planes * WINO_TB * CoutP + 2 * (size_t)CoutP) * 4;
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
