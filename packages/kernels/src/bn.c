/*
 * bn.c: batch norm without a ReLU (a residual block's last BN and its projection BN, which
 * feed the residual addition): the training forward with batch statistics and its backward,
 * plus the residual add -> ReLU and the ReLU backward. The statistics are bn_relu.c's
 * (bn_batch_affine); the backward has the same numerics (the expanded-xhat form), vectorised and
 * split over threads. Native only: the WebAssembly build keeps the stock composition.
 */
#if !defined(__wasm__)
#include "slim_internal.h"

/* y = x * scale + shift per channel over rows [begin, end). */
typedef struct {
  const float *x;
  float *y;
  int C;
  const float *scale, *shift;
} bn_affine_args;

static void bn_affine_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const bn_affine_args *a = (const bn_affine_args *)vargs;
  const int C = a->C;
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *x = a->x + m * C;
    float *y = a->y + m * C;
    int c = 0;
    for (; c + VLEN <= C; c += VLEN)
      vstore(y + c, vload(x + c) * vload(a->scale + c) + vload(a->shift + c));
    for (; c < C; c++) y[c] = x[c] * a->scale[c] + a->shift[c];
  }
}

/*
 * Training forward of BN (batch statistics) on x [M][C], no ReLU: writes
 * y = gamma * (x - mean) / sqrt(var + eps) + beta, the per-channel mean and biased variance.
 */
void EXPORT(slim_bn)(const float *x, int M, int C, const float *gamma, const float *beta,
                     float eps, float *y, float *mean, float *var) {
  if (M == 0) {
    for (int c = 0; c < C; c++) mean[c] = 0, var[c] = 0;
    return;
  }
  int CP = round_up(C, VLEN);
  float *scale = (float *)scratch_alloc((size_t)2 * CP * 4), *shift = scale + CP;
  bn_batch_affine(x, (size_t)M, C, gamma, beta, eps, mean, var, scale, shift);
  bn_affine_args a = {x, y, C, scale, shift};
  parallel_for(bn_affine_range, &a, M);
  scratch_done();
}

/*
 * Backward of y = gamma * (x - mean) * invstd + beta with batch statistics:
 *   xhat = (x - mean) * invstd, dbeta = sum dy, dgamma = sum dy * xhat,
 *   dx = gamma * invstd * (dy - dbeta / M - xhat * dgamma / M).
 */
typedef struct {
  const float *dy, *x;
  float *dx;
  int C;
  const float *mean, *invstd, *coef_a, *coef_b, *coef_c;
  double *partial; /* per-thread [2][C] doubles, then [2][CP] floats */
  size_t partial_stride;
} bn_grad_only_args;

static void bn_grad_only_reduce_range(const void *vargs, int begin, int end, int tid) {
  const bn_grad_only_args *a = (const bn_grad_only_args *)vargs;
  const int C = a->C;
  double *sg = a->partial + tid * a->partial_stride, *sgx = sg + C;
  float *fs = (float *)(sgx + C);
  float *fsx = fs + round_up(C, VLEN);
  const int block = 64;
  for (size_t m0 = (size_t)begin; m0 < (size_t)end; m0 += block) {
    size_t m1 = m0 + block < (size_t)end ? m0 + block : (size_t)end;
    for (int c = 0; c < C; c++) fs[c] = 0, fsx[c] = 0;
    for (size_t m = m0; m < m1; m++) {
      const float *dy = a->dy + m * C, *x = a->x + m * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf g = vload(dy + c);
        vf xhat = (vload(x + c) - vload(a->mean + c)) * vload(a->invstd + c);
        vstore(fs + c, vload(fs + c) + g);
        vstore(fsx + c, vload(fsx + c) + g * xhat);
      }
      for (; c < C; c++) {
        fs[c] += dy[c];
        fsx[c] += dy[c] * (x[c] - a->mean[c]) * a->invstd[c];
      }
    }
    for (int c = 0; c < C; c++) sg[c] += fs[c], sgx[c] += fsx[c];
  }
}

static void bn_grad_only_apply_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const bn_grad_only_args *a = (const bn_grad_only_args *)vargs;
  const int C = a->C;
  /* dx = A*dy + B + Cc*x (xhat expanded, as in bn_relu.c). */
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *dy = a->dy + m * C, *x = a->x + m * C;
    float *dx = a->dx + m * C;
    int c = 0;
    for (; c + VLEN <= C; c += VLEN)
      vstore(dx + c, vload(a->coef_a + c) * vload(dy + c) +
                         (vload(a->coef_b + c) + vload(a->coef_c + c) * vload(x + c)));
    for (; c < C; c++) dx[c] = a->coef_a[c] * dy[c] + (a->coef_b[c] + a->coef_c[c] * x[c]);
  }
}

void EXPORT(slim_bn_grad)(const float *dy, const float *x, int M, int C, const float *gamma,
                          const float *mean, const float *var, float eps, float *dx,
                          float *dgamma, float *dbeta) {
  int T = num_threads();
  int CP = round_up(C, VLEN);
  float *buf = (float *)scratch_alloc((size_t)5 * CP * 4);
  float *invstd = buf, *ca = buf + CP, *cb = buf + 2 * CP, *cc = buf + 3 * CP,
        *meanp = buf + 4 * CP;
  for (int c = 0; c < C; c++) {
    invstd[c] = 1.0f / __builtin_sqrtf(var[c] + eps);
    meanp[c] = mean[c];
  }
  bn_grad_only_args a = {dy, x, dx, C, meanp, invstd, ca, cb, cc, 0, 0};
  size_t each = (size_t)2 * C * sizeof(double) + (size_t)2 * CP * sizeof(float);
  a.partial = (double *)scratch_per_thread(each, &a.partial_stride, T);
  a.partial_stride /= sizeof(double);
  for (int t = 0; t < T; t++)
    for (int c = 0; c < 2 * C; c++) a.partial[t * a.partial_stride + c] = 0;
  parallel_for(bn_grad_only_reduce_range, &a, M);
  for (int c = 0; c < C; c++) {
    double sg = 0, sgx = 0;
    for (int t = 0; t < T; t++) sg += a.partial[t * a.partial_stride + c],
                                sgx += a.partial[t * a.partial_stride + C + c];
    dbeta[c] = (float)sg;
    dgamma[c] = (float)sgx;
    float A = gamma[c] * invstd[c];
    float mg = M > 0 ? (float)(sg / M) : 0, mgx = M > 0 ? (float)(sgx / M) : 0;
    ca[c] = A;
    cc[c] = -A * invstd[c] * mgx;
    cb[c] = -A * mg + A * mean[c] * invstd[c] * mgx;
  }
  parallel_for(bn_grad_only_apply_range, &a, M);
  scratch_done();
}

/* Floats per parallel_for index of the elementwise kernels, and the serial threshold. */
#define EW_CHUNK 4096
#define EW_SERIAL 65536

typedef struct {
  const float *a, *b;
  float *y;
  size_t n;
} ew_args;

static void add_relu_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const ew_args *p = (const ew_args *)vargs;
  size_t i = (size_t)begin * EW_CHUNK;
  size_t stop = (size_t)end * EW_CHUNK < p->n ? (size_t)end * EW_CHUNK : p->n;
  for (; i + VLEN <= stop; i += VLEN) vstore(p->y + i, vmax0(vload(p->a + i) + vload(p->b + i)));
  for (; i < stop; i++) {
    float v = p->a[i] + p->b[i];
    p->y[i] = v > 0 ? v : 0;
  }
}

/* a: dy, b: y (the ReLU's output); writes dy * [y > 0]. */
static void relu_grad_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const ew_args *p = (const ew_args *)vargs;
  size_t i = (size_t)begin * EW_CHUNK;
  size_t stop = (size_t)end * EW_CHUNK < p->n ? (size_t)end * EW_CHUNK : p->n;
  for (; i + VLEN <= stop; i += VLEN) {
    vi on = vload(p->b + i) > (vf){0};
    vstore(p->y + i, (vf)((vi)vload(p->a + i) & on));
  }
  for (; i < stop; i++) p->y[i] = p->b[i] > 0 ? p->a[i] : 0;
}

static void ew_run(range_fn fn, const float *a, const float *b, int n, float *y) {
  ew_args p = {a, b, y, (size_t)n};
  int chunks = (int)(((size_t)n + EW_CHUNK - 1) / EW_CHUNK);
  if (n < EW_SERIAL) fn(&p, 0, chunks, 0);
  else parallel_for(fn, &p, chunks);
}

/* y = max(0, a + b) over two same-length arrays (the residual addition and its ReLU). */
void EXPORT(slim_add_relu)(const float *a, const float *b, int n, float *y) {
  ew_run(add_relu_range, a, b, n, y);
}

/* dx = dy * [y > 0] (the ReLU's backward from its output y). */
void EXPORT(slim_relu_grad)(const float *dy, const float *y, int n, float *dx) {
  ew_run(relu_grad_range, dy, y, n, dx);
}
#endif
