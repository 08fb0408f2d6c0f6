/*
 * common.c: memory and threads. On wasm, a bump allocator over linear memory (reset after
 * each kernel) and parallel_for through the JS worker pool; natively, a scratch arena and
 * OpenMP. Also the library's queries: thread count and vector width.
 */
#include "slim_internal.h"

/* ---------------------------------------------------------------- memory */

#if defined(__wasm__)
extern unsigned char __heap_base;
static uintptr_t heap_top = 0;
static uintptr_t heap_mark = 0;

/* Bump allocator over linear memory, reset by the caller after each kernel. */
void *EXPORT(slim_alloc)(size_t bytes) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  uintptr_t p = heap_top;
  uintptr_t end = (p + bytes + 63) & ~(uintptr_t)63;
  size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  heap_top = end;
  return (void *)p;
}
/* Frees everything allocated after the last slim_mark(). */
void EXPORT(slim_release)(void) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  heap_top = heap_mark ? heap_mark : heap_top;
}
/* Everything allocated before this call survives slim_release (stacks, persistent state). */
void EXPORT(slim_mark)(void) {
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  heap_mark = heap_top;
}
void *scratch_alloc(size_t bytes) { return slim_alloc(bytes); }
void scratch_done(void) {}

__attribute__((import_module("env"), import_name("parallel_for"))) void js_parallel_for(
    int fn, const void *args, int n);
__attribute__((import_module("env"), import_name("num_threads"))) int js_num_threads(void);
int num_threads(void) { return js_num_threads(); }
void parallel_for(range_fn fn, const void *args, int n) {
  js_parallel_for((int)(uintptr_t)fn, args, n);
}
/* Entry point of the worker instances: runs one split of a parallel_for. */
void EXPORT(slim_run_range)(int fn, const void *args, int begin, int end, int tid) {
  ((range_fn)(uintptr_t)fn)(args, begin, end, tid);
}
#else
#include <omp.h>
#include <stdlib.h>
/*
 * Scratch arena, one per calling thread: a JS thread's calls are serialised, but one
 * process may hold several isolates on several threads (Deno workers, `deno test
 * --parallel`) that share this library, so the arena must not be shared between them. Only
 * the calling thread allocates (before parallel_for); OpenMP's threads use what it handed out.
 * Blocks are never moved while a call runs; after a call that needed more than the first
 * block, the blocks are merged into one big enough for next time.
 */
#define SCRATCH_BLOCKS 32
static _Thread_local char *scratch_block[SCRATCH_BLOCKS];
static _Thread_local size_t scratch_cap[SCRATCH_BLOCKS], scratch_used[SCRATCH_BLOCKS];
static _Thread_local int scratch_count = 0;
void *scratch_alloc(size_t bytes) {
  bytes = (bytes + 63) & ~(size_t)63;
  if (scratch_count > 0) {
    int b = scratch_count - 1;
    if (scratch_used[b] + bytes <= scratch_cap[b]) {
      void *p = scratch_block[b] + scratch_used[b];
      scratch_used[b] += bytes;
      return p;
    }
  }
  if (scratch_count == SCRATCH_BLOCKS) abort();
  size_t cap = bytes < ((size_t)1 << 20) ? ((size_t)1 << 20) : bytes;
  int b = scratch_count++;
  scratch_block[b] = (char *)aligned_alloc(64, cap);
  if (!scratch_block[b]) abort();
  scratch_cap[b] = cap;
  scratch_used[b] = bytes;
  return scratch_block[b];
}
void scratch_done(void) {
  if (scratch_count > 1) {
    size_t total = 0;
    for (int b = 0; b < scratch_count; b++) total += scratch_cap[b], free(scratch_block[b]);
    scratch_block[0] = (char *)aligned_alloc(64, total);
    if (!scratch_block[0]) abort();
    scratch_cap[0] = total;
    scratch_count = 1;
  }
  if (scratch_count == 1) scratch_used[0] = 0;
}
int num_threads(void) { return omp_get_max_threads(); }
void parallel_for(range_fn fn, const void *args, int n) {
  int threads = num_threads();
  if (threads > n) threads = n;
  if (threads <= 1) {
    fn(args, 0, n, 0);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int begin = (int)((long)n * t / T), end = (int)((long)n * (t + 1) / T);
    if (end > begin) fn(args, begin, end, t);
  }
}
int slim_set_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}
#endif

void *scratch_per_thread(size_t bytes_each, size_t *stride, int threads) {
  *stride = (bytes_each + 63) & ~(size_t)63;
  return scratch_alloc(*stride * threads);
}

/* Number of threads kernels run on. */
int EXPORT(slim_threads)(void) { return num_threads(); }
/* Floats per SIMD vector this build uses. */
int EXPORT(slim_vector_width)(void) { return VLEN; }
