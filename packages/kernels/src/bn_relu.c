/*
 * bn_relu.c: batch norm + ReLU: the fused training forward of conv3x3 -> BN (batch
 * statistics) -> ReLU, the per-channel affine + ReLU, and the BN + ReLU backward.
 */
#include "slim_internal.h"

typedef struct {
  const float *z;
  float *y;
  size_t M;
  int C;
  const float *scale, *shift;
} affine_args;

static void affine_relu_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const affine_args *a = (const affine_args *)vargs;
  const int C = a->C;
  for (size_t m = (size_t)begin; m < (size_t)end; m++)
    affine_relu_row(a->z + m * C, C, a->scale, a->shift, a->y + m * C);
}

/* Per-channel mean, biased variance, and the affine (scale, shift) of train-mode BN. */
static void bn_affine(const double *sums, size_t M, int C, const float *gamma, const float *beta,
                      float eps, float *mean, float *var, float *scale, float *shift) {
  for (int c = 0; c < C; c++) {
    double mu = sums[c] / (double)M;
    double v = sums[C + c] / (double)M - mu * mu;
    if (v < 0) v = 0;
    mean[c] = (float)mu;
    var[c] = (float)v;
    float invstd = 1.0f / __builtin_sqrtf((float)v + eps);
    scale[c] = gamma[c] * invstd;
    shift[c] = beta[c] - (float)mu * scale[c];
  }
}

/*
 * Training forward of conv3x3 -> BN (batch statistics) -> ReLU.
 * Writes z (conv output), y (activation), mean and biased variance per channel.
 */
void EXPORT(slim_conv_bn_relu)(const float *x, int N, int H, int W, int Cin, const float *w,
                               int Cout, const float *gamma, const float *beta, float eps,
                               float *z, float *y, float *mean, float *var) {
  int CoutP = round_up(Cout, VLEN);
  float *wp = (float *)scratch_alloc((size_t)9 * Cin * CoutP * 4);
  double *sums = (double *)scratch_alloc((size_t)2 * Cout * sizeof(double));
  float *scale = (float *)scratch_alloc((size_t)2 * CoutP * 4);
  float *shift = scale + CoutP;
  pack_forward(w, Cin, Cout, CoutP, wp);
  conv3x3_run(x, N, H, W, Cin, wp, Cout, CoutP, z, sums, 0, 0);
  size_t M = (size_t)N * H * W;
  bn_affine(sums, M, Cout, gamma, beta, eps, mean, var, scale, shift);
  affine_args a = {z, y, M, Cout, scale, shift};
  parallel_for(affine_relu_range, &a, (int)M);
  scratch_done();
}

/*
 * Batch statistics of x [M][C] for the pre-activation BN: per-thread sums of (x - k) and
 * (x - k)^2 with k the first row (a shift that keeps E[x^2] - E[x]^2 accurate when the mean is
 * large against the spread), in float over blocks of rows, then in double.
 */
typedef struct {
  const float *x;
  size_t M;
  int C;
  const float *k;
  double *partial; /* per-thread [2][C] doubles, then [2][CP] floats */
  size_t partial_stride;
} stats_args;

static void stats_range(const void *vargs, int begin, int end, int tid) {
  const stats_args *a = (const stats_args *)vargs;
  const int C = a->C;
  double *s = a->partial + tid * a->partial_stride, *q = s + C;
  float *fs = (float *)(q + C), *fq = fs + round_up(C, VLEN);
  const int block = 64;
  for (size_t m0 = (size_t)begin; m0 < (size_t)end; m0 += block) {
    size_t m1 = m0 + block < (size_t)end ? m0 + block : (size_t)end;
    for (int c = 0; c < C; c++) fs[c] = 0, fq[c] = 0;
    for (size_t m = m0; m < m1; m++) {
      const float *x = a->x + m * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf d = vload(x + c) - vload(a->k + c);
        vstore(fs + c, vload(fs + c) + d);
        vstore(fq + c, vload(fq + c) + d * d);
      }
      for (; c < C; c++) {
        float d = x[c] - a->k[c];
        fs[c] += d, fq[c] += d * d;
      }
    }
    for (int c = 0; c < C; c++) s[c] += fs[c], q[c] += fq[c];
  }
}

void bn_batch_affine(const float *x, size_t M, int C, const float *gamma, const float *beta,
                     float eps, float *mean, float *var, float *scale, float *shift) {
  int T = num_threads();
  float *k = (float *)scratch_alloc((size_t)round_up(C, VLEN) * 4);
  for (int c = 0; c < C; c++) k[c] = M > 0 ? x[c] : 0;
  stats_args sa = {x, M, C, k, 0, 0};
  size_t each = (size_t)2 * C * sizeof(double) + (size_t)2 * round_up(C, VLEN) * sizeof(float);
  sa.partial = (double *)scratch_per_thread(each, &sa.partial_stride, T);
  sa.partial_stride /= sizeof(double);
  for (int t = 0; t < T; t++)
    for (int c = 0; c < 2 * C; c++) sa.partial[t * sa.partial_stride + c] = 0;
  parallel_for(stats_range, &sa, (int)M);
  for (int c = 0; c < C; c++) {
    double s = 0, q = 0;
    for (int t = 0; t < T; t++)
      s += sa.partial[t * sa.partial_stride + c], q += sa.partial[t * sa.partial_stride + C + c];
    double d = s / (double)M, v = q / (double)M - d * d;
    if (v < 0) v = 0;
    mean[c] = (float)(k[c] + d);
    var[c] = (float)v;
  }
  bn_scale_shift(gamma, beta, mean, var, eps, C, scale, shift);
}

/*
 * Training forward of BN (batch statistics) -> ReLU on x [M][C] (the pre-activation layer):
 * writes y, the per-channel mean and biased variance.
 */
void EXPORT(slim_bn_relu)(const float *x, int M, int C, const float *gamma, const float *beta,
                          float eps, float *y, float *mean, float *var) {
  int CP = round_up(C, VLEN);
  float *scale = (float *)scratch_alloc((size_t)2 * CP * 4), *shift = scale + CP;
  bn_batch_affine(x, (size_t)M, C, gamma, beta, eps, mean, var, scale, shift);
  affine_args a = {x, y, (size_t)M, C, scale, shift};
  parallel_for(affine_relu_range, &a, M);
  scratch_done();
}

/* y = max(0, z * scale + shift) per channel (NHWC, M rows of C). */
void EXPORT(slim_affine_relu)(const float *z, int M, int C, const float *scale, const float *shift,
                              float *y) {
  affine_args a = {z, y, (size_t)M, C, scale, shift};
  parallel_for(affine_relu_range, &a, M);
}

/*
 * Backward of y = relu(gamma * (z - mean) / sqrt(var + eps) + beta) with batch statistics:
 *   g = dy * [y > 0], xhat = (z - mean) * invstd,
 *   dbeta = sum g, dgamma = sum g * xhat,
 *   dz = gamma * invstd * (g - dbeta / M - xhat * dgamma / M).
 */
typedef struct {
  const float *dy, *z;
  float *dz;
  size_t M;
  int C;
  const float *scale, *shift, *mean, *invstd, *coef_a, *coef_b, *coef_c;
  double *partial; /* per-thread [2][C] */
  size_t partial_stride;
} bn_grad_args;

static void bn_grad_reduce_range(const void *vargs, int begin, int end, int tid) {
  const bn_grad_args *a = (const bn_grad_args *)vargs;
  const int C = a->C;
  double *sg = a->partial + tid * a->partial_stride, *sgx = sg + C;
  /* Sum in float over blocks of rows, then into double. */
  float *fs = (float *)(sgx + C);
  float *fsx = fs + round_up(C, VLEN);
  const int block = 64;
  for (size_t m0 = (size_t)begin; m0 < (size_t)end; m0 += block) {
    size_t m1 = m0 + block < (size_t)end ? m0 + block : (size_t)end;
    for (int c = 0; c < C; c++) fs[c] = 0, fsx[c] = 0;
    for (size_t m = m0; m < m1; m++) {
      const float *dy = a->dy + m * C, *z = a->z + m * C;
      int c = 0;
      for (; c + VLEN <= C; c += VLEN) {
        vf zv = vload(z + c);
        vf pre = zv * vload(a->scale + c) + vload(a->shift + c);
        vi on = pre > (vf){0};
        vf g = (vf)((vi)vload(dy + c) & on);
        vf xhat = (zv - vload(a->mean + c)) * vload(a->invstd + c);
        vstore(fs + c, vload(fs + c) + g);
        vstore(fsx + c, vload(fsx + c) + g * xhat);
      }
      for (; c < C; c++) {
        float pre = z[c] * a->scale[c] + a->shift[c];
        float g = pre > 0 ? dy[c] : 0;
        fs[c] += g;
        fsx[c] += g * (z[c] - a->mean[c]) * a->invstd[c];
      }
    }
    for (int c = 0; c < C; c++) sg[c] += fs[c], sgx[c] += fsx[c];
  }
}

static void bn_grad_apply_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const bn_grad_args *a = (const bn_grad_args *)vargs;
  const int C = a->C;
  /* dz = A*g + B + Cc*z with A = gamma*invstd, B = -A*(sg/M) + A*mean*invstd*sgx/M,
     Cc = -A*invstd*sgx/M (xhat expanded so the loop is two fused multiply-adds). */
  for (size_t m = (size_t)begin; m < (size_t)end; m++) {
    const float *dy = a->dy + m * C, *z = a->z + m * C;
    float *dz = a->dz + m * C;
    int c = 0;
    for (; c + VLEN <= C; c += VLEN) {
      vf zv = vload(z + c);
      vf pre = zv * vload(a->scale + c) + vload(a->shift + c);
      vi on = pre > (vf){0};
      vf g = (vf)((vi)vload(dy + c) & on);
      vstore(dz + c, vload(a->coef_a + c) * g + (vload(a->coef_b + c) + vload(a->coef_c + c) * zv));
    }
    for (; c < C; c++) {
      float pre = z[c] * a->scale[c] + a->shift[c];
      float g = pre > 0 ? dy[c] : 0;
      dz[c] = a->coef_a[c] * g + (a->coef_b[c] + a->coef_c[c] * z[c]);
    }
  }
}

void EXPORT(slim_bn_relu_grad)(const float *dy, const float *z, int M, int C, const float *gamma,
                               const float *beta, const float *mean, const float *var, float eps,
                               float *dz, float *dgamma, float *dbeta) {
  int T = num_threads();
  int CP = round_up(C, VLEN);
  float *buf = (float *)scratch_alloc((size_t)7 * CP * 4);
  float *scale = buf, *shift = buf + CP, *invstd = buf + 2 * CP, *ca = buf + 3 * CP,
        *cb = buf + 4 * CP, *cc = buf + 5 * CP, *meanp = buf + 6 * CP;
  for (int c = 0; c < C; c++) {
    invstd[c] = 1.0f / __builtin_sqrtf(var[c] + eps);
    scale[c] = gamma[c] * invstd[c];
    shift[c] = beta[c] - mean[c] * scale[c];
    meanp[c] = mean[c];
  }
  bn_grad_args a = {dy, z, dz, (size_t)M, C, scale, shift, meanp, invstd, ca, cb, cc, 0, 0};
  size_t each = (size_t)2 * C * sizeof(double) + (size_t)2 * CP * sizeof(float);
  a.partial = (double *)scratch_per_thread(each, &a.partial_stride, T);
  a.partial_stride /= sizeof(double);
  for (int t = 0; t < T; t++)
    for (int c = 0; c < 2 * C; c++) a.partial[t * a.partial_stride + c] = 0;
  parallel_for(bn_grad_reduce_range, &a, M);
  for (int c = 0; c < C; c++) {
    double sg = 0, sgx = 0;
    for (int t = 0; t < T; t++) sg += a.partial[t * a.partial_stride + c],
                                sgx += a.partial[t * a.partial_stride + C + c];
    dbeta[c] = (float)sg;
    dgamma[c] = (float)sgx;
    float A = gamma[c] * invstd[c];
    float mg = (float)(sg / M), mgx = (float)(sgx / M);
    ca[c] = A;
    cc[c] = -A * invstd[c] * mgx;
    cb[c] = -A * mg + A * mean[c] * invstd[c] * mgx;
  }
  parallel_for(bn_grad_apply_range, &a, M);
  scratch_done();
}
