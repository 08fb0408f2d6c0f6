/*
 * conv_grad_filter.c: the gradient of conv3x3 with respect to its weight, directly
 * (register-tiled over input channels x output channel vectors, summed over pixels) or by
 * Winograd where it pays (winograd_grad.c).
 */
#include "slim_internal.h"

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
          for (int j = 0; j < J; j++) acc[r][j] = vmadd(xs, d[j], acc[r][j]);
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
