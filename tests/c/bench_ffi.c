/*
 * FFI micro-benchmark: async no-op round trip (median, p99 in us), a sync
 * call (ns), and async calls/s with 2 threads. The async no-op is an inspect
 * with a NULL id: decoded, rejected and answered without touching a backend.
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
  call_free(&c);
}

enum { N = 20000, PER_THREAD = 50000 };

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < PER_THREAD; i++) roundtrip();
  return NULL;
}

int main(void) {
  static double lat[N];
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
  double sync_ns = (now_ns() - t0) / SYNC;
  t0 = now_ns();
  const int ENV = 100000;
  for (int i = 0; i < ENV; i++) js_container_free(js_workload_node(NULL, NULL));
  double env_ns = (now_ns() - t0) / ENV;
  pthread_t th[2];
  t0 = now_ns();
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, NULL);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  double secs = (now_ns() - t0) / 1e9;
  printf("async no-op round trip: median %.1f us, p99 %.1f us\n", lat[N / 2], lat[N * 99 / 100]);
  printf("sync call (js_container_abi_version): %.0f ns\n", sync_ns);
  printf("sync call returning an error envelope (js_workload_node(NULL)): %.0f ns\n", env_ns);
  printf("async calls/s with 2 threads: %.0f\n", 2.0 * PER_THREAD / secs);
  return 0;
}
