/*
 * kernels_check.c: the kernels compiled into a plain program and compared with scalar C
 * reference loops (double accumulators) on random data, at several thread counts and from
 * several calling threads at once. Built natively (OpenMP or the pool) and cross-compiled for
 * aarch64 (run under qemu-aarch64) by kernels_check_test.ts; see that file for the commands.
 * Prints "N passed, M failed" and exits non-zero on a failure.
 *
 * Build with -DSLIM_STANDALONE (no self-pinning: this is a program, not a library), the
 * sources of ../src, and -lm.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library's exports used here (see ../src). */
void slim_conv3x3(const float *x, int N, int H, int W, int Cin, const float *w, int Cout,
                  float *out);
void slim_conv3x3_grad_input(const float *dz, int N, int H, int W, int Cin, const float *w,
                             int Cout, float *dx);
void slim_conv3x3_grad_filter(const float *x, const float *dz, int N, int H, int W, int Cin,
                              int Cout, float *dw);
void slim_conv_bn_relu(const float *x, int N, int H, int W, int Cin, const float *w, int Cout,
                       const float *gamma, const float *beta, float eps, float *z, float *y,
                       float *mean, float *var);
void slim_conv1x1(const float *x, int N, int H, int W, int Cin, const float *w, int Cout, int s,
                  float *y);
void slim_maxpool2(const float *x, int N, int H, int W, int C, float *y);
void slim_matmul(const float *a, const float *b, int m, int k, int n, int transpose_a,
                 int transpose_b, float *c);
void slim_sgd(const float *p, const float *g, const float *buf, float *p_out, float *buf_out, int n,
              float lr, float momentum, float wd, float l1, int first, int nesterov);
int slim_set_threads(int n);
int slim_threading(void);
int slim_vector_width(void);

#ifndef TOLERANCE
#define TOLERANCE 1e-4
#endif

static int passed = 0, failed = 0;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* max |a - b| / max |b| <= TOLERANCE, counted and reported. */
static int check(const char *what, const float *actual, const double *expected, size_t n) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)actual[i] - expected[i]);
    if (!(d <= diff)) diff = d; /* NaN counts as a failure */
    if (fabs(expected[i]) > scale) scale = fabs(expected[i]);
  }
  double rel = scale == 0 ? diff : diff / scale;
  int ok = rel <= TOLERANCE;
  pthread_mutex_lock(&report_lock);
  if (ok) passed++;
  else failed++, printf("FAIL %s: relative error %g\n", what, rel);
  pthread_mutex_unlock(&report_lock);
  return ok;
}

/* xorshift32 per stream: uniform in [-1, 1). */
static float *random_floats(size_t n, unsigned *state) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) {
    unsigned s = *state;
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    *state = s;
    p[i] = (float)((s >> 8) / 8388608.0 - 1.0);
  }
  return p;
}

/* ---------------------------------------------------------------- references */

/* NHWC x, HWIO w, stride 1, zero padding 1. */
static void ref_conv3x3(const float *x, int N, int H, int W, int Cin, const float *w, int Cout,
                        double *y) {
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++)
      for (int x0 = 0; x0 < W; x0++)
        for (int o = 0; o < Cout; o++) {
          double s = 0;
          for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) {
              int hh = h + dy - 1, ww = x0 + dx - 1;
              if (hh < 0 || hh >= H || ww < 0 || ww >= W) continue;
              for (int i = 0; i < Cin; i++)
                s += (double)x[(((size_t)n * H + hh) * W + ww) * Cin + i] *
                     w[((size_t)(dy * 3 + dx) * Cin + i) * Cout + o];
            }
          y[(((size_t)n * H + h) * W + x0) * Cout + o] = s;
        }
}

static void ref_conv3x3_grad_input(const float *dz, int N, int H, int W, int Cin, const float *w,
                                   int Cout, double *dx) {
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++)
      for (int x0 = 0; x0 < W; x0++)
        for (int i = 0; i < Cin; i++) {
          double s = 0;
          for (int dy = 0; dy < 3; dy++)
            for (int ddx = 0; ddx < 3; ddx++) {
              int hh = h - dy + 1, ww = x0 - ddx + 1; /* the output x[h][x0] feeds */
              if (hh < 0 || hh >= H || ww < 0 || ww >= W) continue;
              for (int o = 0; o < Cout; o++)
                s += (double)dz[(((size_t)n * H + hh) * W + ww) * Cout + o] *
                     w[((size_t)(dy * 3 + ddx) * Cin + i) * Cout + o];
            }
          dx[(((size_t)n * H + h) * W + x0) * Cin + i] = s;
        }
}

static void ref_conv3x3_grad_filter(const float *x, const float *dz, int N, int H, int W,
                                    int Cin, int Cout, double *dw) {
  for (int dy = 0; dy < 3; dy++)
    for (int ddx = 0; ddx < 3; ddx++)
      for (int i = 0; i < Cin; i++)
        for (int o = 0; o < Cout; o++) {
          double s = 0;
          for (int n = 0; n < N; n++)
            for (int h = 0; h < H; h++)
              for (int x0 = 0; x0 < W; x0++) {
                int hh = h + dy - 1, ww = x0 + ddx - 1;
                if (hh < 0 || hh >= H || ww < 0 || ww >= W) continue;
                s += (double)x[(((size_t)n * H + hh) * W + ww) * Cin + i] *
                     dz[(((size_t)n * H + h) * W + x0) * Cout + o];
              }
          dw[((size_t)(dy * 3 + ddx) * Cin + i) * Cout + o] = s;
        }
}

/* ---------------------------------------------------------------- checks */

typedef struct {
  int n, h, w, cin, cout;
} shape;

/*
 * With 16+ channels, sizes that are multiples of 4 take Winograd F(4x4, 3x3), other even sizes
 * F(2x2, 3x3); the others the direct path.
 */
static const shape SHAPES[] = {
    {2, 8, 8, 16, 32}, {1, 5, 7, 3, 10}, {3, 6, 4, 20, 24}, {2, 4, 4, 9, 13}, {1, 1, 1, 5, 17},
    {2, 4, 12, 17, 19},
};
#define NSHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

static void check_convs(shape s, unsigned seed, const char *tag) {
  char what[160];
  size_t nx = (size_t)s.n * s.h * s.w * s.cin, nz = (size_t)s.n * s.h * s.w * s.cout;
  size_t nw = (size_t)9 * s.cin * s.cout;
  float *x = random_floats(nx, &seed), *w = random_floats(nw, &seed);
  float *dz = random_floats(nz, &seed), *gamma = random_floats(s.cout, &seed);
  float *beta = random_floats(s.cout, &seed);
  float *y = malloc(nz * 4), *z = malloc(nz * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4);
  float *mean = malloc(s.cout * 4), *var = malloc(s.cout * 4);
  double *ry = calloc(nz, 8), *rdx = calloc(nx, 8), *rdw = calloc(nw, 8);
  double *ract = malloc(nz * 8), *rmean = malloc(s.cout * 8), *rvar = malloc(s.cout * 8);
  const char *form = "%s %dx%dx%dx%d->%d %s";

  ref_conv3x3(x, s.n, s.h, s.w, s.cin, w, s.cout, ry);
  slim_conv3x3(x, s.n, s.h, s.w, s.cin, w, s.cout, y);
  snprintf(what, sizeof what, form, "conv3x3", s.n, s.h, s.w, s.cin, s.cout, tag);
  check(what, y, ry, nz);

  ref_conv3x3_grad_input(dz, s.n, s.h, s.w, s.cin, w, s.cout, rdx);
  slim_conv3x3_grad_input(dz, s.n, s.h, s.w, s.cin, w, s.cout, dx);
  snprintf(what, sizeof what, form, "conv3x3 input gradient", s.n, s.h, s.w, s.cin, s.cout, tag);
  check(what, dx, rdx, nx);

  ref_conv3x3_grad_filter(x, dz, s.n, s.h, s.w, s.cin, s.cout, rdw);
  slim_conv3x3_grad_filter(x, dz, s.n, s.h, s.w, s.cin, s.cout, dw);
  snprintf(what, sizeof what, form, "conv3x3 filter gradient", s.n, s.h, s.w, s.cin, s.cout, tag);
  check(what, dw, rdw, nw);

  /* conv -> batch norm (batch statistics, biased variance) -> ReLU */
  const float eps = 1e-5f;
  const size_t m = (size_t)s.n * s.h * s.w;
  for (int o = 0; o < s.cout; o++) {
    double sum = 0, sq = 0;
    for (size_t r = 0; r < m; r++) sum += ry[r * s.cout + o];
    rmean[o] = sum / m;
    for (size_t r = 0; r < m; r++) sq += (ry[r * s.cout + o] - rmean[o]) * (ry[r * s.cout + o] - rmean[o]);
    rvar[o] = sq / m;
    for (size_t r = 0; r < m; r++) {
      double v = (ry[r * s.cout + o] - rmean[o]) / sqrt(rvar[o] + eps) * gamma[o] + beta[o];
      ract[r * s.cout + o] = v > 0 ? v : 0;
    }
  }
  slim_conv_bn_relu(x, s.n, s.h, s.w, s.cin, w, s.cout, gamma, beta, eps, z, y, mean, var);
  snprintf(what, sizeof what, form, "conv+BN+ReLU z", s.n, s.h, s.w, s.cin, s.cout, tag);
  check(what, z, ry, nz);
  if (m >= 4) { /* batch norm over fewer values is degenerate (variance ~ 0) */
    snprintf(what, sizeof what, form, "conv+BN+ReLU y", s.n, s.h, s.w, s.cin, s.cout, tag);
    check(what, y, ract, nz);
    snprintf(what, sizeof what, form, "conv+BN+ReLU mean", s.n, s.h, s.w, s.cin, s.cout, tag);
    check(what, mean, rmean, s.cout);
    snprintf(what, sizeof what, form, "conv+BN+ReLU variance", s.n, s.h, s.w, s.cin, s.cout, tag);
    check(what, var, rvar, s.cout);
  }

  /* 1x1 conv, strides 1 and 2 (output size ceil(H / s)) */
  for (int st = 1; st <= 2; st++) {
    int ho = (s.h + st - 1) / st, wo = (s.w + st - 1) / st;
    size_t ny = (size_t)s.n * ho * wo * s.cout;
    float *y1 = malloc(ny * 4);
    double *r1 = malloc(ny * 8);
    for (int n = 0; n < s.n; n++)
      for (int a = 0; a < ho; a++)
        for (int b = 0; b < wo; b++)
          for (int o = 0; o < s.cout; o++) {
            double acc = 0;
            for (int i = 0; i < s.cin; i++)
              acc += (double)x[(((size_t)n * s.h + a * st) * s.w + b * st) * s.cin + i] *
                     w[(size_t)i * s.cout + o];
            r1[(((size_t)n * ho + a) * wo + b) * s.cout + o] = acc;
          }
    slim_conv1x1(x, s.n, s.h, s.w, s.cin, w, s.cout, st, y1);
    snprintf(what, sizeof what, "conv1x1 stride %d %dx%dx%dx%d->%d %s", st, s.n, s.h, s.w, s.cin,
             s.cout, tag);
    check(what, y1, r1, ny);
    free(y1), free(r1);
  }

  /* 2x2 max-pool of z (an odd last row or column is in no window) */
  {
    int ho = s.h / 2, wo = s.w / 2, c = s.cout;
    size_t np = (size_t)s.n * ho * wo * c;
    float *p = malloc((np ? np : 1) * 4);
    double *rp = malloc((np ? np : 1) * 8);
    for (int n = 0; n < s.n; n++)
      for (int a = 0; a < ho; a++)
        for (int b = 0; b < wo; b++)
          for (int k = 0; k < c; k++) {
            double best = -INFINITY;
            for (int i = 0; i < 2; i++)
              for (int j = 0; j < 2; j++) {
                double v = dz[(((size_t)n * s.h + 2 * a + i) * s.w + 2 * b + j) * c + k];
                if (v > best) best = v;
              }
            rp[(((size_t)n * ho + a) * wo + b) * c + k] = best;
          }
    slim_maxpool2(dz, s.n, s.h, s.w, c, p);
    snprintf(what, sizeof what, "max-pool 2x2 %dx%dx%dx%d %s", s.n, s.h, s.w, c, tag);
    check(what, p, rp, np);
    free(p), free(rp);
  }

  free(x), free(w), free(dz), free(gamma), free(beta), free(y), free(z), free(dx), free(dw);
  free(mean), free(var), free(ry), free(rdx), free(rdw), free(ract), free(rmean), free(rvar);
}

static void check_matmul(int m, int k, int n, int ta, int tb, unsigned seed, const char *tag) {
  float *a = random_floats((size_t)m * k, &seed), *b = random_floats((size_t)k * n, &seed);
  float *c = malloc((size_t)m * n * 4);
  double *r = malloc((size_t)m * n * 8);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int p = 0; p < k; p++)
        s += (double)(ta ? a[(size_t)p * m + i] : a[(size_t)i * k + p]) *
             (tb ? b[(size_t)j * k + p] : b[(size_t)p * n + j]);
      r[(size_t)i * n + j] = s;
    }
  slim_matmul(a, b, m, k, n, ta, tb, c);
  char what[120];
  snprintf(what, sizeof what, "matmul %dx%dx%d transpose %d%d %s", m, k, n, ta, tb, tag);
  check(what, c, r, (size_t)m * n);
  free(a), free(b), free(c), free(r);
}

static void check_sgd(int n, int first, int nesterov, unsigned seed, const char *tag) {
  float *p = random_floats(n, &seed), *g = random_floats(n, &seed), *buf = random_floats(n, &seed);
  double *rp = malloc((size_t)n * 8), *rb = malloc((size_t)n * 8);
  const double lr = 0.1, momentum = 0.9, wd = 1e-4, l1 = 1e-3;
  for (int i = 0; i < n; i++) {
    double s = p[i] > 0 ? 1 : p[i] < 0 ? -1 : 0;
    double d = g[i] + l1 * s + wd * p[i];
    double b = first ? d : momentum * buf[i] + d;
    rb[i] = b;
    rp[i] = p[i] - lr * (nesterov ? d + momentum * b : b);
  }
  /* out of place; in place too (the outputs alias the inputs), as callers may do */
  float *p_out = malloc((size_t)n * 4), *buf_out = malloc((size_t)n * 4);
  slim_sgd(p, g, buf, p_out, buf_out, n, (float)lr, (float)momentum, (float)wd, (float)l1, first,
           nesterov);
  char what[100];
  snprintf(what, sizeof what, "sgd out of place n %d first %d nesterov %d %s", n, first, nesterov, tag);
  check(what, p_out, rp, n);
  check(what, buf_out, rb, n);
  free(p_out), free(buf_out);
  slim_sgd(p, g, buf, p, buf, n, (float)lr, (float)momentum, (float)wd, (float)l1, first, nesterov);
  snprintf(what, sizeof what, "sgd first %d nesterov %d %s", first, nesterov, tag);
  check(what, p, rp, n);
  snprintf(what, sizeof what, "sgd momentum buffer first %d nesterov %d %s", first, nesterov, tag);
  check(what, buf, rb, n);
  free(p), free(g), free(buf), free(rp), free(rb);
}

static void check_all(unsigned seed, const char *tag) {
  for (int i = 0; i < NSHAPES; i++) check_convs(SHAPES[i], seed + i, tag);
  for (int t = 0; t < 4; t++) {
    check_matmul(5, 7, 3, t & 1, t >> 1, seed + 10 + t, tag);
    check_matmul(64, 48, 40, t & 1, t >> 1, seed + 20 + t, tag); /* past the parallel cut */
  }
  for (int t = 0; t < 4; t++) {
    check_sgd(1000, t & 1, t >> 1, seed + 30 + t, tag);
    check_sgd(100003, t & 1, t >> 1, seed + 40 + t, tag); /* past the parallel cut, odd tail */
  }
}

/* Several callers at once, each with its own thread cap (kernels from Deno workers). */
typedef struct {
  int threads;
  unsigned seed;
} caller_args;
static void *caller(void *vargs) {
  caller_args *c = vargs;
  char tag[64];
  slim_set_threads(c->threads);
  snprintf(tag, sizeof tag, "(caller with %d threads)", c->threads);
  for (int r = 0; r < 2; r++) check_convs(SHAPES[0], c->seed + r, tag);
  check_matmul(64, 48, 40, 0, 1, c->seed, tag);
  return 0;
}

int main(void) {
  printf("kernels_check: %s, %d-float vectors\n", slim_threading() ? "own thread pool" : "OpenMP",
         slim_vector_width());
  for (int threads = 1; threads <= 4; threads++) {
    char tag[32];
    snprintf(tag, sizeof tag, "(%d threads)", slim_set_threads(threads));
    check_all(1234u + 97u * threads, tag);
  }
  pthread_t t[3];
  caller_args args[3] = {{1, 11}, {2, 22}, {3, 33}};
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, caller, &args[i]);
  for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
