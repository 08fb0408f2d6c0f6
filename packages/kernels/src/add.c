/*
 * add.c: y = a + b over two same-shape float arrays (ResNet's residual additions and the
 * gradient accumulation of a tensor used twice), vectorised and split over threads. The
 * WebAssembly build uses it when both operands already lie in the module's memory (its
 * KernelLib adds in JavaScript otherwise: a copy in would cost more than the sum).
 */
#include "slim_internal.h"

/* Floats per parallel_for index: large enough that one index is worth a thread's time. */
#define ADD_CHUNK 4096
/* Below this many floats one thread adds alone (waking the others costs more). */
#define ADD_SERIAL 65536

typedef struct {
  const float *a, *b;
  float *y;
  size_t n;
} add_args;

static void add_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const add_args *p = (const add_args *)vargs;
  size_t i = (size_t)begin * ADD_CHUNK;
  size_t stop = (size_t)end * ADD_CHUNK < p->n ? (size_t)end * ADD_CHUNK : p->n;
  for (; i + VLEN <= stop; i += VLEN) vstore(p->y + i, vload(p->a + i) + vload(p->b + i));
  for (; i < stop; i++) p->y[i] = p->a[i] + p->b[i];
}

void EXPORT(slim_add)(const float *a, const float *b, int n, float *y) {
  add_args p = {a, b, y, (size_t)n};
  int chunks = (int)(((size_t)n + ADD_CHUNK - 1) / ADD_CHUNK);
  if (n < ADD_SERIAL) add_range(&p, 0, chunks, 0);
  else parallel_for(add_range, &p, chunks);
}
