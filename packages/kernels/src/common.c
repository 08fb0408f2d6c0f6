/*
 * common.c: memory and threads. On wasm, a bump allocator over linear memory (reset after
 * each kernel) and parallel_for through the JS worker pool; natively, a scratch arena and
 * OpenMP, or our own pthread pool where the compiler has no OpenMP (-DSLIM_THREADS_POOL).
 * Also the library's queries: thread count, threading and vector width.
 */
#if !defined(__wasm__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif
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
#include <stdlib.h>
#if defined(SLIM_THREADS_POOL)
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#else
#include <omp.h>
#endif
#if !defined(SLIM_STANDALONE)
#include <dlfcn.h>
#endif
/*
 * Scratch arena, one per calling thread: a JS thread's calls are serialised, but one
 * process may hold several isolates on several threads (Deno workers, `deno test
 * --parallel`) that share this library, so the arena must not be shared between them. Only
 * the calling thread allocates (before parallel_for); the worker threads use what it handed out.
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
#if defined(SLIM_THREADS_POOL)
/*
 * Our own thread pool (built with -DSLIM_THREADS_POOL -pthread where the compiler has no
 * OpenMP, e.g. Apple clang, or when asked for). Persistent workers 1..workers; the calling
 * thread is participant 0 and runs the first split itself, so parallel_for splits [0, n) and
 * numbers the splits (tid) exactly as the OpenMP build does.
 *
 * A job is published as one 64-bit word, generation << 16 | participants, with a release
 * store; fn/args/n are written before it and stay untouched until every participant has
 * finished (`pending` reaches 0), so a worker that reads the word reads a consistent job.
 * Waiting (workers for a job, the caller for the workers): spin up to `spin` polls, then
 * block on a condition variable, so idle workers sleep and cost nothing. The spin follows
 * OMP_WAIT_POLICY like the OpenMP build: PASSIVE blocks at once (what select.ts asks for on
 * a shared machine), ACTIVE spins long, unset spins briefly.
 *
 * One process may call from several threads (Deno workers, `deno test --parallel`): the
 * pool runs one parallel_for at a time (`busy`), the others wait their turn, so a kernel's
 * thread count, and with it its rounding, never depends on what else runs. A parallel_for
 * inside a split runs serially on that thread. The thread cap is per calling thread, set by
 * slim_set_threads, like OpenMP's omp_set_num_threads.
 */
#define POOL_MAX_THREADS 256

static struct {
  pthread_mutex_t busy;       /* held by the thread whose parallel_for owns the workers */
  pthread_mutex_t lock;       /* guards the sleeps on wake and done */
  pthread_cond_t wake, done;  /* a new job for the workers; the last worker finished */
  uint64_t job;               /* generation << 16 | participants (atomic) */
  int pending;                /* participants other than the caller still running (atomic) */
  int sleepers;               /* workers blocked on wake (under lock) */
  uint64_t generation;        /* under busy */
  range_fn fn;
  const void *args;
  int n;
  int workers; /* started, under busy */
  long spin;   /* polls before blocking */
  int default_threads;
  uint64_t start_job[POOL_MAX_THREADS]; /* the job word when worker i started */
} pool = {.busy = PTHREAD_MUTEX_INITIALIZER,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static _Thread_local int thread_cap = 0;   /* slim_set_threads of this thread; 0: default */
static _Thread_local int in_parallel = 0;  /* inside a split: nested parallel_for is serial */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

static void pool_init(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  pool.default_threads = cores < 1 ? 1 : cores > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)cores;
  const char *policy = getenv("OMP_WAIT_POLICY");
  pool.spin = 20000;
  if (policy && (!strcmp(policy, "PASSIVE") || !strcmp(policy, "passive"))) pool.spin = 0;
  if (policy && (!strcmp(policy, "ACTIVE") || !strcmp(policy, "active"))) pool.spin = 1L << 30;
}

/* Waits until the job word differs from seen; returns it. */
static uint64_t pool_wait_job(uint64_t seen) {
  uint64_t job;
  for (long i = 0; i < pool.spin; i++) {
    if ((job = __atomic_load_n(&pool.job, __ATOMIC_ACQUIRE)) != seen) return job;
    cpu_relax();
  }
  pthread_mutex_lock(&pool.lock);
  pool.sleepers++;
  while ((job = __atomic_load_n(&pool.job, __ATOMIC_ACQUIRE)) == seen)
    pthread_cond_wait(&pool.wake, &pool.lock);
  pool.sleepers--;
  pthread_mutex_unlock(&pool.lock);
  return job;
}

static void *pool_worker(void *arg) {
  const int id = (int)(intptr_t)arg;
  uint64_t seen = pool.start_job[id];
  in_parallel = 1;
  for (;;) {
    seen = pool_wait_job(seen);
    const int T = (int)(seen & 0xffff);
    if (id >= T) continue; /* not a participant of this job */
    const int n = pool.n;
    const int begin = (int)((long)n * id / T), end = (int)((long)n * (id + 1) / T);
    if (end > begin) pool.fn(pool.args, begin, end, id);
    if (__atomic_sub_fetch(&pool.pending, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&pool.lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.lock);
    }
  }
  return 0;
}

/* Starts workers until `threads` can take part (under busy); returns how many can. */
static int pool_grow(int threads) {
  while (pool.workers < threads - 1) {
    const int id = pool.workers + 1;
    pool.start_job[id] = pool.job;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)8 << 20); /* macOS gives threads only 512 KiB */
    pthread_t thread;
    const int failed = pthread_create(&thread, &attr, pool_worker, (void *)(intptr_t)id);
    pthread_attr_destroy(&attr);
    if (failed) break;
    pthread_detach(thread);
    pool.workers = id;
  }
  return threads < pool.workers + 1 ? threads : pool.workers + 1;
}

int num_threads(void) {
  pthread_once(&pool_once, pool_init);
  return thread_cap > 0 ? thread_cap : pool.default_threads;
}
void parallel_for(range_fn fn, const void *args, int n) {
  int threads = num_threads();
  if (threads > n) threads = n;
  if (threads <= 1 || in_parallel) {
    fn(args, 0, n, 0);
    return;
  }
  pthread_mutex_lock(&pool.busy);
  threads = pool_grow(threads);
  if (threads <= 1) {
    pthread_mutex_unlock(&pool.busy);
    fn(args, 0, n, 0);
    return;
  }
  pool.fn = fn, pool.args = args, pool.n = n;
  __atomic_store_n(&pool.pending, threads - 1, __ATOMIC_RELAXED);
  pool.generation++;
  __atomic_store_n(&pool.job, pool.generation << 16 | (uint64_t)threads, __ATOMIC_RELEASE);
  pthread_mutex_lock(&pool.lock);
  if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  in_parallel = 1;
  const int end = (int)((long)n / threads);
  if (end > 0) fn(args, 0, end, 0);
  in_parallel = 0;

  int left = 1;
  for (long i = 0; i < pool.spin && left; i++) {
    left = __atomic_load_n(&pool.pending, __ATOMIC_ACQUIRE) != 0;
    if (left) cpu_relax();
  }
  if (left) {
    pthread_mutex_lock(&pool.lock);
    while (__atomic_load_n(&pool.pending, __ATOMIC_ACQUIRE) != 0)
      pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
  }
  pthread_mutex_unlock(&pool.busy);
}
int slim_set_threads(int n) {
  if (n > 0) thread_cap = n < POOL_MAX_THREADS ? n : POOL_MAX_THREADS;
  return num_threads();
}
/* How this build runs threads: 0 OpenMP, 1 our own pool. */
int slim_threading(void) { return 1; }
#else
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
/* How this build runs threads: 0 OpenMP, 1 our own pool. */
int slim_threading(void) { return 0; }
#endif

#if !defined(SLIM_STANDALONE)
/*
 * The library is never unloaded: Deno closes dynamic libraries when an isolate shuts down,
 * but the worker threads (OpenMP's or the pool's) stay parked in this code until the process
 * exits. On load it opens itself once more with RTLD_NODELETE and leaks that handle (the
 * portable form of linking with -z nodelete, which Apple's linker lacks). SLIM_STANDALONE:
 * compiled into a program (the C test harness), where there is nothing to pin.
 */
__attribute__((constructor)) static void pin_library(void) {
  Dl_info info;
  if (dladdr((void *)&pin_library, &info) && info.dli_fname)
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
}
#endif
#endif

void *scratch_per_thread(size_t bytes_each, size_t *stride, int threads) {
  *stride = (bytes_each + 63) & ~(size_t)63;
  return scratch_alloc(*stride * threads);
}

/* Number of threads kernels run on. */
int EXPORT(slim_threads)(void) { return num_threads(); }
/* Floats per SIMD vector this build uses. */
int EXPORT(slim_vector_width)(void) { return VLEN; }
