/*
 * FFI micro-benchmark (run by bench/run.sh through perrybench; prints one
 * "key value" line per figure, no assertions):
 *   rt_median_us, rt_p99_us  async no-op round trip, one call at a time
 *   sync_c_ns                js_container_abi_version (answered in C)
 *   sync_go_ns               a sync call into Go returning a malloc'd error
 *                            envelope (js_workload_node(NULL, NULL)), freed
 *   tput_1t, tput_2t         async completions/s with 1 and 2 host threads,
 *                            WINDOW calls in flight per thread (pipelined)
 *   tput_2t_seq              the same with one call at a time per thread
 * The async no-op is an inspect with a NULL id: decoded, rejected and
 * answered without touching a backend. Every completion is checked
 * (status 400, exactly one callback per call).
 */
#include <time.h>

#include "common.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void roundtrip(void) {
  call_t c;
  call_init(&c);
  js_container_inspect(NULL, on_complete, &c);
  call_wait(&c);
  if (c.status != 400 || c.done != 1) {
    fprintf(stderr, "bad completion: status %d, done %d\n", c.status, c.done);
    exit(1);
  }
  call_free(&c);
}

enum { N = 20000, PER_THREAD = 100000, WINDOW = 64 };

/* A pipelined host thread: up to WINDOW calls in flight. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  long inflight, done, bad;
} pipe_t;

static void on_pipe(void *ctx, int32_t status, const char *json, size_t len) {
  pipe_t *p = ctx;
  int bad = status != 400 || len == 0 || json[len] != 0;
  pthread_mutex_lock(&p->mu);
  p->inflight--;
  p->done++;
  p->bad += bad;
  if (p->inflight == WINDOW - 1 || p->inflight == 0) pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

static void *pipelined(void *arg) {
  pipe_t *p = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    pthread_mutex_lock(&p->mu);
    while (p->inflight >= WINDOW) pthread_cond_wait(&p->cv, &p->mu);
    p->inflight++;
    pthread_mutex_unlock(&p->mu);
    if (js_container_inspect(NULL, on_pipe, p) != 0) {
      fprintf(stderr, "not scheduled\n");
      exit(1);
    }
  }
  pthread_mutex_lock(&p->mu);
  while (p->inflight > 0) pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static void *sequential(void *arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) roundtrip();
  return NULL;
}

static double throughput(int threads) {
  pipe_t p[2];
  pthread_t th[2];
  double t0 = now_ns();
  for (int i = 0; i < threads; i++) {
    memset(&p[i], 0, sizeof p[i]);
    pthread_mutex_init(&p[i].mu, NULL);
    pthread_cond_init(&p[i].cv, NULL);
    pthread_create(&th[i], NULL, pipelined, &p[i]);
  }
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double secs = (now_ns() - t0) / 1e9;
  for (int i = 0; i < threads; i++) {
    if (p[i].done != PER_THREAD || p[i].bad) {
      fprintf(stderr, "thread %d: %ld completions (want %d), %ld bad\n", i, p[i].done, PER_THREAD, p[i].bad);
      exit(1);
    }
  }
  return threads * (double)PER_THREAD / secs;
}

int main(void) {
  static double lat[N];
  const char *only = getenv("BENCH_FFI_ONLY"); /* "tput": the pipelined figures only (profiling) */
  if (only && strcmp(only, "tput") == 0) {
    printf("tput_1t %.0f\n", throughput(1));
    printf("tput_2t %.0f\n", throughput(2));
    return 0;
  }
  for (int i = 0; i < 2000; i++) roundtrip(); /* warm-up */
  for (int i = 0; i < N; i++) {
    double t0 = now_ns();
    roundtrip();
    lat[i] = (now_ns() - t0) / 1000.0;
  }
  qsort(lat, N, sizeof lat[0], cmp);
  double t0 = now_ns();
  const int SYNC = 1000000;
  for (int i = 0; i < SYNC; i++) (void)js_container_abi_version();
  double sync_c = (now_ns() - t0) / SYNC;
  t0 = now_ns();
  const int ENV = 100000;
  for (int i = 0; i < ENV; i++) js_container_free(js_workload_node(NULL, NULL));
  double sync_go = (now_ns() - t0) / ENV;
  double t1 = throughput(1);
  double t2 = throughput(2);
  pthread_t th[2];
  const long SEQ = 20000;
  t0 = now_ns();
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, sequential, (void *)SEQ);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  double t2seq = 2.0 * SEQ / ((now_ns() - t0) / 1e9);
  printf("rt_median_us %.2f\n", lat[N / 2]);
  printf("rt_p99_us %.2f\n", lat[N * 99 / 100]);
  printf("sync_c_ns %.1f\n", sync_c);
  printf("sync_go_ns %.0f\n", sync_go);
  printf("tput_1t %.0f\n", t1);
  printf("tput_2t %.0f\n", t2);
  printf("tput_2t_seq %.0f\n", t2seq);
  printf("callbacks %ld\n", (long)atomic_load(&g_callbacks));
  return 0;
}
