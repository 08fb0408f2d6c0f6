/*
 * winograd_grad.c: the Winograd filter gradient dW = G^T [ sum over tiles (B^T d B) .*
 * (A dy A^T) ] G, i.e. one GEMM a plane, R[xi] (Cin x Cout) += V[xi]^T (Cin x tiles) . D[xi]
 * (tiles x Cout), then one transform; F(4x4, 3x3) (36 planes) or F(2x2, 3x3) (16) as the
 * forward picks (wino_tile_side). Called by slim_conv3x3_grad_filter where wino_pays().
 */
#include "slim_internal.h"

typedef struct {
  const float *x, *dz;
  int N, H, W, Cin, CinP, Cout, CoutP, group;
  int m; /* output tile side: 2 or 4 */
  float *scratch;
  size_t scratch_stride, pad_floats;
  float *acc; /* per thread [planes][Cin][CoutP] */
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
      for (int j = 0; j < J; j++) acc[r][j] = vmadd(xs, dv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) {
      float *o = out + (size_t)r * CoutP + j * VLEN;
      vstore(o, vload(o) + acc[r][j]);
    }
}


/* Loads the m x m tile of dy at y0 (rows W * Cout apart), channels c .. c + VLEN (zeros past Cout). */
static inline __attribute__((always_inline)) void load_dy_tile(const int m, const float *y0,
                                                               int W, int Cout, int c, vf e[4][4]) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) {
      const float *src = y0 + ((size_t)i * W + j) * Cout + c;
      if (c + VLEN <= Cout) e[i][j] = vload(src);
      else {
        e[i][j] = (vf){0};
        for (int l = 0; c + l < Cout; l++) e[i][j][l] = src[l];
      }
    }
}

/* The 1-D dy transform of F(4x4, 3x3): f = A e, A's rows (1,0,0,0), (1,1,1,1), (1,-1,1,-1),
 * (1,2,4,8), (1,-2,4,-8), (0,0,0,1). */
static inline __attribute__((always_inline)) void wino4_a(const vf e[4], vf f[6]) {
  const vf p02 = e[0] + e[2], p13 = e[1] + e[3], q02 = e[0] + e[2] * 4.0f, q13 = e[1] * 2.0f + e[3] * 8.0f;
  f[0] = e[0];
  f[1] = p02 + p13;
  f[2] = p02 - p13;
  f[3] = q02 + q13;
  f[4] = q02 - q13;
  f[5] = e[3];
}

/* D[xi] = (A e A^T)[xi] of one m x m dy tile, into dt + xi * dplane. */
static inline __attribute__((always_inline)) void dy_transform(const int m, vf e[4][4], float *dt,
                                                               size_t dplane) {
  if (m == 2) {
    /* A = [[1,0],[1,1],[1,-1],[0,-1]] */
    vf f[4][2];
    for (int j = 0; j < 2; j++) {
      f[0][j] = e[0][j];
      f[1][j] = e[0][j] + e[1][j];
      f[2][j] = e[0][j] - e[1][j];
      f[3][j] = -e[1][j];
    }
    for (int i = 0; i < 4; i++) {
      vstore(dt + (i * 4 + 0) * dplane, f[i][0]);
      vstore(dt + (i * 4 + 1) * dplane, f[i][0] + f[i][1]);
      vstore(dt + (i * 4 + 2) * dplane, f[i][0] - f[i][1]);
      vstore(dt + (i * 4 + 3) * dplane, -f[i][1]);
    }
    return;
  }
  vf f[6][4];
  for (int j = 0; j < 4; j++) {
    vf col[4], out[6];
    for (int i = 0; i < 4; i++) col[i] = e[i][j];
    wino4_a(col, out);
    for (int i = 0; i < 6; i++) f[i][j] = out[i];
  }
  for (int i = 0; i < 6; i++) {
    vf out[6];
    wino4_a(f[i], out);
    for (int j = 0; j < 6; j++) vstore(dt + (i * 6 + j) * dplane, out[j]);
  }
}

/*
 * One thread's images, a block of WINO_TB tiles at a time: both input transforms (B^T d B
 * and A dy A^T), then one GEMM a plane into this thread's accumulator. Long, but one pass: the
 * block's V and D stay in cache between the steps.
 */
static void wino_wgrad_range(const void *vargs, int begin, int end, int tid) {
  const wino_wgrad_args *a = (const wino_wgrad_args *)vargs;
  const int H = a->H, W = a->W, Cin = a->Cin, CinP = a->CinP, Cout = a->Cout, CoutP = a->CoutP;
  const int m = a->m, planes = (m + 2) * (m + 2);
  const int th = H / m, tw = W / m, tiles_img = th * tw;
  const size_t xrow = (size_t)(W + 2) * Cin, img = (size_t)(H + 2) * xrow;
  float *pad = a->scratch + tid * a->scratch_stride;
  float *V = pad + a->pad_floats;
  float *D = V + (size_t)planes * WINO_TB * CinP;
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
        const float *d0 = pad + im * img + (size_t)(m * ty) * xrow + (size_t)(m * tx) * Cin;
        wino_input_tile(m, d0, xrow, Cin, V + (size_t)t * CinP, vplane);
        const float *y0 = a->dz + (((size_t)(n0 + im) * H + m * ty) * W + m * tx) * Cout;
        for (int c = 0; c < CoutP; c += VLEN) {
          vf e[4][4];
          float *dt = D + (size_t)t * CoutP + c;
          if (m == 4) load_dy_tile(4, y0, W, Cout, c, e), dy_transform(4, e, dt, dplane);
          else load_dy_tile(2, y0, W, Cout, c, e), dy_transform(2, e, dt, dplane);
        }
      }
      for (int xi = 0; xi < planes; xi++) {
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

/* dW = G^T R G for F(2x2, 3x3): G^T = [[1,.5,.5,0],[0,.5,-.5,0],[0,.5,.5,1]]. */
static inline __attribute__((always_inline)) void wino2_gt(const vf r[4], vf g[3]) {
  g[0] = r[0] + (r[1] + r[2]) * 0.5f;
  g[1] = (r[1] - r[2]) * 0.5f;
  g[2] = (r[1] + r[2]) * 0.5f + r[3];
}

/* dW = G^T R G for F(4x4, 3x3): G^T's rows (1/4, -1/6, -1/6, 1/24, 1/24, 0),
 * (0, -1/6, 1/6, 1/12, -1/12, 0), (0, -1/6, -1/6, 1/6, 1/6, 1). */
static inline __attribute__((always_inline)) void wino4_gt(const vf r[6], vf g[3]) {
  const vf p12 = r[1] + r[2], d12 = r[1] - r[2], p34 = r[3] + r[4], d34 = r[3] - r[4];
  g[0] = r[0] * 0.25f - p12 * (1.0f / 6) + p34 * (1.0f / 24);
  g[1] = d12 * (-1.0f / 6) + d34 * (1.0f / 12);
  g[2] = (p34 - p12) * (1.0f / 6) + r[5];
}

void conv3x3_wino_grad_filter(const float *x, const float *dz, int N, int H, int W, int Cin,
                              int Cout, float *dw) {
  const int T = num_threads();
  const int CinP = round_up(Cin, VLEN), CoutP = round_up(Cout, VLEN);
  const int m = wino_tile_side(H, W), alpha = m + 2, planes = alpha * alpha;
  const int tiles_img = (H / m) * (W / m);
  wino_wgrad_args a = {x, dz, N, H, W, Cin, CinP, Cout, CoutP, 1, m, 0, 0, 0, 0, 0};
  a.group = WINO_TB / tiles_img > 1 ? WINO_TB / tiles_img : 1;
  a.pad_floats = ((size_t)a.group * (H + 2) * (W + 2) * Cin + VLEN + 15) & ~(size_t)15;
  size_t each = (a.pad_floats + (size_t)planes * WINO_TB * (CinP + CoutP)) * 4;
  a.scratch = (float *)scratch_per_thread(each, &a.scratch_stride, T);
  a.scratch_stride /= sizeof(float);
  a.acc = (float *)scratch_per_thread((size_t)planes * Cin * CoutP * 4, &a.acc_stride, T);
  a.acc_stride /= sizeof(float);
  const size_t total = a.acc_stride * T;
  for (size_t i = 0; i < total; i++) a.acc[i] = 0;
  parallel_for(wino_wgrad_range, &a, N);
  const int used = T < N ? T : N;
  const size_t plane = (size_t)Cin * CoutP;
  for (int th = 1; th < used; th++)
    for (size_t i = 0; i < planes * plane; i++) a.acc[i] += a.acc[th * a.acc_stride + i];
  for (int ci = 0; ci < Cin; ci++)
    for (int c = 0; c < CoutP; c += VLEN) {
      vf t[3][6];
      for (int j = 0; j < alpha; j++) {
        vf r[6], g[3];
        for (int i = 0; i < alpha; i++) r[i] = vload(a.acc + (i * alpha + j) * plane + (size_t)ci * CoutP + c);
        if (m == 4) wino4_gt(r, g);
        else wino2_gt(r, g);
        for (int i = 0; i < 3; i++) t[i][j] = g[i]; /* t = G^T R */
      }
      for (int i = 0; i < 3; i++) {
        vf g[3];
        if (m == 4) wino4_gt(t[i], g);
        else wino2_gt(t[i], g);
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
