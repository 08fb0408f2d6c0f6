/*
 * dense_copy.c: the memory-bound pieces of DenseNet's concatenations, threaded: a block of
 * columns copied between [M][C] row layouts (Concat along the last axis and its backward,
 * SplitV). The same-shape sum (a dense layer's input feeding both its BN and the next
 * concatenation) is add.c's. Like add.c, the WebAssembly build uses it when both arrays lie
 * in the module's memory and copies columns in JavaScript otherwise.
 */
#include "slim_internal.h"

typedef struct {
  const float *src;
  float *dst;
  int src_c, src_off, dst_c, dst_off, k;
} columns_args;

static void columns_range(const void *vargs, int begin, int end, int tid) {
  (void)tid;
  const columns_args *a = (const columns_args *)vargs;
  const size_t bytes = (size_t)a->k * sizeof(float);
  for (size_t m = (size_t)begin; m < (size_t)end; m++)
    __builtin_memcpy(a->dst + m * a->dst_c + a->dst_off, a->src + m * a->src_c + a->src_off, bytes);
}

/* dst[m][dst_off + j] = src[m][src_off + j] for m < M, j < K (rows of src_c and dst_c). */
void EXPORT(slim_copy_columns)(const float *src, int M, int src_c, int src_off, float *dst,
                               int dst_c, int dst_off, int K) {
  columns_args a = {src, dst, src_c, src_off, dst_c, dst_off, K};
  parallel_for(columns_range, &a, M);
}
