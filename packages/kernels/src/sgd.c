/* sgd.c: one optimizer update, out of place, vectorised and split over threads. */
#include "slim_internal.h"

/* Floats per parallel_for index, and the size below which one thread updates alone. */
#define SGD_CHUNK 4096
#define SGD_SERIAL 65536

typedef struct {
  const float *p, *g, *buf; /* buf: null on the first step */
  float *p_out, *buf_out;
  size_t n;
  float lr, momentum, wd, l1;
  int nesterov;
} sgd_args;

/* One element's update (the scalar tail, and the rule the vector loop follows). */
static inline void sgd_one(const sgd_args *a, size_t i) {
  const float p = a->p[i];
  const float s = p > 0 ? 1.0f : (p < 0 ? -1.0f : 0.0f);
  const float d = a->g[i] + a->l1 * s + a->wd * p;
  const float b = a->buf ? a->momentum * a->buf[i] + d : d;
  a->buf_out[i] = b;
  a->p_out[i] = p - a->lr * (a->nesterov ? d + a->momentum * b : b);
}

static void sgd_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const sgd_args *a = (const sgd_args *)vargs;
  size_t i = (size_t)begin * SGD_CHUNK;
  const size_t stop = (size_t)end * SGD_CHUNK < a->n ? (size_t)end * SGD_CHUNK : a->n;
  const vf lr = vsplat(a->lr), mom = vsplat(a->momentum), wd = vsplat(a->wd), l1 = vsplat(a->l1);
  const vf one = vsplat(1.0f), zero = (vf){0};
  for (; i + VLEN <= stop; i += VLEN) {
    const vf p = vload(a->p + i);
    /* sign(p): +1, -1 or 0, from the two comparisons' all-ones masks */
    const vi pos = p > zero, neg = p < zero;
    const vf s = (vf)((vi)one & pos) - (vf)((vi)one & neg);
    const vf d = vload(a->g + i) + l1 * s + wd * p;
    const vf b = a->buf ? mom * vload(a->buf + i) + d : d;
    vstore(a->buf_out + i, b);
    vstore(a->p_out + i, p - lr * (a->nesterov ? d + mom * b : b));
  }
  for (; i < stop; i++) sgd_one(a, i);
}

/*
 * PyTorch SGD (momentum, weight decay, dampening 0, optionally Nesterov) with an extra L1
 * subgradient l1 * sign(p) added to the gradient first (Network Slimming's updateBN):
 *   d = g + l1 * sign(p) + wd * p;  b = first ? d : momentum * buf + d;
 *   p_out = p - lr * b, or with Nesterov p - lr * (d + momentum * b); buf_out = b.
 * The inputs are not written (buf is not read when first is set); outputs may alias them.
 */
void EXPORT(slim_sgd)(const float *p, const float *g, const float *buf, float *p_out,
                      float *buf_out, int n, float lr, float momentum, float wd, float l1,
                      int first, int nesterov) {
  sgd_args a = {p, g, first ? 0 : buf, p_out, buf_out, (size_t)n, lr, momentum, wd, l1, nesterov};
  const int chunks = (int)(((size_t)n + SGD_CHUNK - 1) / SGD_CHUNK);
  if (n < SGD_SERIAL) sgd_range(&a, 0, chunks, 0);
  else parallel_for(sgd_range, &a, chunks);
}
