/*
 * channels.c: channel selection along the last axis of [M][C] rows: the gather
 * y[m][k] = x[m][idx[k]] and its gradient dx[m][c] = sum over k with idx[k] = c of dy[m][k].
 */
#include "slim_internal.h"

typedef struct {
  const float *src;
  float *dst;
  const int32_t *idx;
  int C, K;
} channel_args;

static void gather_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const channel_args *a = (const channel_args *)vargs;
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *x = a->src + m * a->C;
    float *y = a->dst + m * a->K;
    for (int k = 0; k < a->K; k++) y[k] = x[a->idx[k]];
  }
}

static void scatter_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const channel_args *a = (const channel_args *)vargs;
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *dy = a->src + m * a->K;
    float *dx = a->dst + m * a->C;
    for (int c = 0; c < a->C; c++) dx[c] = 0;
    for (int k = 0; k < a->K; k++) dx[a->idx[k]] += dy[k];
  }
}

/* y [M][K] = x [M][C] at channels idx [K] (each in [0, C)). */
void EXPORT(slim_gather_channels)(const float *x, int M, int C, const int32_t *idx, int K,
                                  float *y) {
  channel_args a = {x, y, idx, C, K};
  parallel_for(gather_range, &a, M);
}

/* dx [M][C] = the gradient of slim_gather_channels given dy [M][K]. */
void EXPORT(slim_scatter_channels)(const float *dy, int M, int K, const int32_t *idx, int C,
                                   float *dx) {
  channel_args a = {dy, dx, idx, C, K};
  parallel_for(scatter_range, &a, M);
}
