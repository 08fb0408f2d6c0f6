/*
 * winograd_grad.c: the Winograd filter gradient dW = G^T [ sum over tiles (B^T d B) .*
 * (A dy A^T) ] G, i.e. 16 GEMMs R[xi] (Cin x Cout) += V[xi]^T (Cin x tiles) . D[xi]
 * (tiles x Cout), then one transform. Called by slim_conv3x3_grad_filter where wino_pays().
 */
#include "slim_internal.h"

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


/*
 * One thread's images, a block of WINO_TB tiles at a time: both input transforms (B^T d B
 * and A dy A^T), then the 16 GEMMs into this thread's accumulator. Long, but one pass: the
 * block's V and D stay in cache between the steps.
 */
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

void conv3x3_wino_grad_filter(const float *x, const float *dz, int N, int H, int W, int Cin,
                              int Cout, float *dw) {
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
