/*
 * matmul.c: the classifier head's matrix product C = op(A) . op(B) with either operand
 * transposed (the forward and both gradients of a linear layer). Each element is summed in
 * double over p in order and rounded once, which is what the JavaScript loop this replaced
 * computed, so results are unchanged bit for bit. The head's matrices are small: rows are
 * split over threads only when there is enough work.
 */
#include "slim_internal.h"

typedef struct {
  const float *a, *b;
  float *c;
  int k, n;
  size_t ai, ap, bp, bj; /* A[i][p] = a[i * ai + p * ap], B[p][j] = b[p * bp + j * bj] */
} matmul_args;

/* Columns summed at once: a row of C is built in blocks of this many double accumulators. */
#define MATMUL_COLS 64

static void matmul_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const matmul_args *m = (const matmul_args *)vargs;
  for (int i = begin; i < end; i++) {
    const float *arow = m->a + (size_t)i * m->ai;
    float *crow = m->c + (size_t)i * m->n;
    for (int j0 = 0; j0 < m->n; j0 += MATMUL_COLS) {
      const int cols = imin(MATMUL_COLS, m->n - j0);
      double acc[MATMUL_COLS];
      for (int j = 0; j < cols; j++) acc[j] = 0;
      for (int p = 0; p < m->k; p++) {
        const double av = arow[(size_t)p * m->ap];
        const float *brow = m->b + (size_t)p * m->bp + (size_t)j0 * m->bj;
        if (m->bj == 1)
          for (int j = 0; j < cols; j++) acc[j] += av * brow[j];
        else
          for (int j = 0; j < cols; j++) acc[j] += av * brow[(size_t)j * m->bj];
      }
      for (int j = 0; j < cols; j++) crow[j0 + j] = (float)acc[j];
    }
  }
}

/* Multiply-adds below which the product runs on the calling thread alone. */
#define MATMUL_PARALLEL_WORK 65536

/* c [m][n] = op(a) [m][k] . op(b) [k][n], op = transpose where asked (row-major storage). */
void EXPORT(slim_matmul)(const float *a, const float *b, int m, int k, int n, int transpose_a,
                         int transpose_b, float *c) {
  matmul_args args = {a, b, c, k, n, 0, 0, 0, 0};
  args.ai = transpose_a ? 1 : (size_t)k;
  args.ap = transpose_a ? (size_t)m : 1;
  args.bp = transpose_b ? 1 : (size_t)n;
  args.bj = transpose_b ? (size_t)k : 1;
  if ((size_t)m * k * n < MATMUL_PARALLEL_WORK) matmul_range(&args, 0, m, 0);
  else parallel_for(matmul_range, &args, m);
}
