/*
 * pool.c: 2x2, stride 2 pooling (NHWC): max-pool and average-pool, forward and gradient.
 * An odd last row or column is in no window (its gradient is zero).
 */
#include "slim_internal.h"

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

/*
 * y = the mean of each window, summed in double and rounded once (what the JavaScript loop
 * this replaced computed, so results are unchanged bit for bit).
 */
static void avgpool_range(const void *vargs, int begin, int end, int tid) {
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
      for (int c = 0; c < C; c++)
        o[c] = (float)((((double)p00[c] + p01[c]) + p10[c] + p11[c]) * 0.25);
    }
  }
}

/* Each input of a window gets a quarter of the window's dy. */
static void avgpool_grad_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const pool_args *a = (const pool_args *)vargs;
  const int W = a->W, C = a->C, Ho = a->H / 2, Wo = W / 2;
  for (int r = begin; r < end; r++) {
    int n = r / Ho, ho = r % Ho;
    size_t row0 = (((size_t)n * a->H + 2 * ho) * W) * C;
    float *d0 = a->y + row0, *d1 = d0 + (size_t)W * C;
    const float *dy = a->dy + (size_t)r * Wo * C;
    for (int wo = 0; wo < Wo; wo++) {
      size_t o0 = (size_t)2 * wo * C;
      const float *g = dy + (size_t)wo * C;
      for (int c = 0; c < C; c++) {
        float v = g[c] * 0.25f;
        d0[o0 + c] = v, d0[o0 + C + c] = v, d1[o0 + c] = v, d1[o0 + C + c] = v;
      }
    }
    if (W & 1) {
      size_t last = (size_t)(W - 1) * C;
      for (int c = 0; c < C; c++) d0[last + c] = 0, d1[last + c] = 0;
    }
    if ((a->H & 1) && ho == Ho - 1) {
      float *d2 = d1 + (size_t)W * C;
      for (size_t i = 0; i < (size_t)W * C; i++) d2[i] = 0;
    }
  }
}

void EXPORT(slim_avgpool2)(const float *x, int N, int H, int W, int C, float *y) {
  pool_args a = {x, 0, y, N, H, W, C};
  parallel_for(avgpool_range, &a, N * (H / 2));
}

void EXPORT(slim_avgpool2_grad)(const float *dy, int N, int H, int W, int C, float *dx) {
  pool_args a = {0, dy, dx, N, H, W, C};
  if (H < 2) { /* no window: every input is outside one */
    for (size_t i = 0; i < (size_t)N * H * W * C; i++) dx[i] = 0;
    return;
  }
  parallel_for(avgpool_grad_range, &a, N * (H / 2));
}
