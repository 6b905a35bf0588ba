/*
 * stress64: 64 threads x 1000 mixed calls per round against the library
 * (PERRY_CONTAINER_BACKEND=fake): run/remove, inspect, list, compose up/ps/
 * status/down of small inline stacks, compose ups cancelled in flight
 * (js_container_cancel), followed logs (js_container_logs_follow), the
 * workload builders
 * (js_workload_node, js_workload_graph), runGraph/status/down, and handle
 * calls with unknown handles. Every callback must fire exactly once, every
 * result must be the expected envelope, and after js_container_shutdown
 * every call is Cancelled.
 *
 *   stress64 [ROUNDS]     ROUNDS rounds (default 1). With 3 or more, the
 *                         first is a warm-up and RSS must stay flat over
 *                         the others (< 48 MiB growth).
 *
 * CTest runs it against build/race/libperrycontainer.so (go build -race;
 * GORACE=halt_on_error=1 makes a data race kill the process) and against
 * the normal library for the RSS check. Goroutines left after shutdown are
 * counted by ffi/leak_test.go (goleak), which Go can see and C cannot.
 * Closes with "N passed, M failed".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "perry_container.h"

enum { THREADS = 64, CALLS = 1000 };
static const char *IMAGE = "perry-test/busybox:latest";

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_int fired;
  int32_t status;
  char *json;
  atomic_long lines; /* lines of a followed log's chunks */
} slot_t;

static atomic_long g_calls, g_fired, g_fail;
static atomic_int g_round_failures_printed;

static void on_done(void *ctx, int32_t status, const char *json, size_t len) {
  slot_t *s = ctx;
  atomic_fetch_add(&g_fired, 1);
  pthread_mutex_lock(&s->mu);
  if (atomic_fetch_add(&s->fired, 1) == 0) {
    s->status = status;
    s->json = malloc(len + 1);
    memcpy(s->json, json, len);
    s->json[len] = 0;
    if (strlen(s->json) != len) s->status = -9999;
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* A followed log's chunk: counts its lines; a chunk after the final
 * callback is a failure. */
static void on_chunk(void *ctx, const char *json, size_t len) {
  slot_t *s = ctx;
  (void)len;
  if (atomic_load(&s->fired)) atomic_fetch_add(&g_fail, 1);
  for (const char *p = json; (p = strstr(p, "\"line\":")) != NULL; p += 7) atomic_fetch_add(&s->lines, 1);
}

static void bad(const char *what, const char *json) {
  atomic_fetch_add(&g_fail, 1);
  if (atomic_fetch_add(&g_round_failures_printed, 1) < 20)
    fprintf(stderr, "FAIL %s: %.300s\n", what, json ? json : "(null)");
}

/* Per-thread slots, reused call after call: a late second callback shows
 * in the global count of callbacks against calls. */
typedef struct {
  slot_t slots[16];
  int n;
  unsigned seed;
  int id, round;
} worker_t;

static slot_t *next_slot(worker_t *w) {
  slot_t *s = &w->slots[w->n++];
  atomic_store(&s->fired, 0);
  atomic_store(&s->lines, 0);
  s->json = NULL;
  s->status = 0;
  atomic_fetch_add(&g_calls, 1);
  return s;
}

static int wait_slot(slot_t *s) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 120;
  pthread_mutex_lock(&s->mu);
  while (atomic_load(&s->fired) == 0)
    if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0) break;
  int ok = atomic_load(&s->fired) > 0;
  pthread_mutex_unlock(&s->mu);
  return ok;
}

/* Waits and checks the status; returns the envelope (owned by the slot). */
static const char *expect(slot_t *s, int32_t want, const char *what) {
  if (!wait_slot(s)) {
    bad(what, "callback never fired");
    return NULL;
  }
  const char *pre = want == 0 ? "{\"ok\":true,\"result\":" : "{\"ok\":false,\"error\":{";
  if (s->status != want || strncmp(s->json, pre, strlen(pre)) != 0) bad(what, s->json);
  return s->json;
}

static int64_t handle_of(const char *json) {
  const char *p = json ? strstr(json, "\"handle\":") : NULL;
  return p ? strtoll(p + 9, NULL, 10) : -1;
}

static char *id_of(const char *json) {
  const char *p = json ? strstr(json, "\"id\":\"") : NULL;
  if (!p) return NULL;
  p += 6;
  const char *e = strchr(p, '"');
  return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static void sync_expect(char *json, int ok, const char *what) {
  const char *pre = ok ? "{\"ok\":true,\"result\":" : "{\"ok\":false,\"error\":{";
  if (!json || strncmp(json, pre, strlen(pre)) != 0) bad(what, json);
  js_container_free(json);
}

static void one_call(worker_t *w, int i) {
  char buf[1024];
  slot_t *s;
  unsigned r = (unsigned)rand_r(&w->seed) % 100;
  if (r < 15) { /* run, then remove */
    snprintf(buf, sizeof buf, "{\"image\":\"%s\",\"cmd\":[\"sleep\",\"100\"],\"labels\":{\"perry.test\":\"1\",\"t\":\"%d\"}}", IMAGE, w->id);
    s = next_slot(w);
    js_container_run(buf, on_done, s);
    char *id = id_of(expect(s, 0, "run"));
    if (!id) return;
    s = next_slot(w);
    js_container_inspect(id, on_done, s);
    expect(s, 0, "inspect own");
    s = next_slot(w);
    js_container_remove(id, "true", on_done, s);
    expect(s, 0, "remove own");
    free(id);
  } else if (r < 30) {
    s = next_slot(w);
    js_container_inspect("perry-stress-missing", on_done, s);
    expect(s, 404, "inspect unknown");
  } else if (r < 40) {
    s = next_slot(w);
    js_container_list((r & 1) ? "false" : NULL, on_done, s);
    expect(s, 0, "list");
  } else if (r < 52) { /* compose up / ps / status / down */
    snprintf(buf, sizeof buf,
             "{\"name\":\"stress-%d-%d-%d\",\"services\":{\"db\":{\"image\":\"%s\",\"command\":[\"sleep\",\"100\"]},"
             "\"web\":{\"image\":\"%s\",\"command\":[\"sleep\",\"100\"],\"depends_on\":[\"db\"]}}}",
             w->round, w->id, i, IMAGE, IMAGE);
    s = next_slot(w);
    ((r & 1) ? js_compose_up : js_container_composeUp)(buf, on_done, s);
    int64_t h = handle_of(expect(s, 0, "compose up"));
    if (h <= 0) return;
    s = next_slot(w);
    js_container_compose_ps(h, on_done, s);
    expect(s, 0, "compose ps");
    s = next_slot(w);
    js_compose_status(h, on_done, s);
    expect(s, 0, "compose status");
    sync_expect(js_container_compose_graph(h), 1, "compose graph");
    s = next_slot(w);
    js_container_compose_down(h, 1, on_done, s);
    expect(s, 0, "compose down");
    s = next_slot(w);
    js_compose_down(h, 1, on_done, s);
    expect(s, 404, "compose down twice");
  } else if (r < 64) {
    snprintf(buf, sizeof buf, "n%d", i);
    sync_expect(js_workload_node(buf, (r & 1) ? NULL : "{\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sleep\",\"1\"]}"), 1,
                "workload node");
  } else if (r < 74) {
    snprintf(buf, sizeof buf, "{\"nodes\":{\"a\":{\"image\":\"%s\"},\"b\":{\"image\":\"%s\",\"dependsOn\":[\"a\"]}}}", IMAGE, IMAGE);
    sync_expect(js_workload_graph("stress-graph", buf), 1, "workload graph");
  } else if (r < 80) { /* runGraph / status / down */
    snprintf(buf, sizeof buf,
             "{\"name\":\"stressg-%d-%d-%d\",\"nodes\":{\"a\":{\"id\":\"a\",\"name\":\"a\",\"image\":\"%s\",\"cmd\":[\"sleep\",\"100\"],"
             "\"runtime\":{\"type\":\"auto\"},\"policy\":{\"tier\":\"default\"}}},\"edges\":[]}",
             w->round, w->id, i, IMAGE);
    s = next_slot(w);
    js_workload_runGraph(buf, NULL, on_done, s);
    int64_t h = handle_of(expect(s, 0, "runGraph"));
    if (h <= 0) return;
    s = next_slot(w);
    js_workload_handle_status(h, on_done, s);
    expect(s, 0, "graph status");
    s = next_slot(w);
    js_workload_handle_down(h, NULL, on_done, s);
    expect(s, 0, "graph down");
  } else if (r < 90) { /* unknown handles */
    int64_t h = ((int64_t)1 << 47) + (int64_t)(rand_r(&w->seed) % 100000);
    s = next_slot(w);
    switch (r % 4) {
      case 0: js_container_compose_ps(h, on_done, s); break;
      case 1: js_workload_handle_status(h, on_done, s); break;
      case 2: js_compose_logs(h, NULL, on_done, s); break;
      default: js_workload_handle_ps(h, on_done, s); break;
    }
    expect(s, 404, "unknown handle");
    sync_expect(js_compose_graph(h), 0, "graph of an unknown handle");
  } else if (r < 95) { /* cancel: an up that cannot finish, cancelled at once */
    snprintf(buf, sizeof buf,
             "{\"name\":\"stressc-%d-%d-%d\",\"services\":{\"job\":{\"image\":\"%s\",\"command\":[\"sleep\",\"100\"]},"
             "\"app\":{\"image\":\"%s\",\"command\":[\"sleep\",\"100\"],"
             "\"depends_on\":{\"job\":{\"condition\":\"service_completed_successfully\"}}}}}",
             w->round, w->id, i, IMAGE, IMAGE);
    s = next_slot(w);
    js_container_composeUp(buf, on_done, s);
    js_container_cancel(s);
    expect(s, 499, "cancelled up");
    js_container_cancel(s); /* finished: a no-op */
    /* A quick call cancelled at once: either answer, exactly once. */
    s = next_slot(w);
    js_container_inspect("perry-stress-missing", on_done, s);
    js_container_cancel(s);
    if (wait_slot(s) && s->status != 404 && s->status != 499) bad("cancelled inspect", s->json);
    /* A followed log: every line, then the final callback. */
    snprintf(buf, sizeof buf, "{\"image\":\"%s\",\"cmd\":[\"sh\",\"-c\",\"echo a; echo b >&2; echo c\"],\"labels\":{\"perry.test\":\"1\"}}", IMAGE);
    s = next_slot(w);
    js_container_run(buf, on_done, s);
    char *id = id_of(expect(s, 0, "run for follow"));
    if (!id) return;
    s = next_slot(w);
    js_container_logs_follow(id, NULL, on_chunk, on_done, s);
    expect(s, 0, "follow");
    if (atomic_load(&s->lines) != 3) bad("follow: lines", s->json);
    s = next_slot(w);
    js_container_remove(id, "true", on_done, s);
    expect(s, 0, "remove followed");
    free(id);
  } else { /* bad arguments */
    s = next_slot(w);
    js_container_logs("x", "-1", on_done, s);
    expect(s, 400, "bad tail");
    s = next_slot(w);
    js_container_compose_ps(0, on_done, s);
    expect(s, 400, "handle 0");
  }
}

static void *worker(void *p) {
  worker_t *w = p;
  for (int i = 0; i < CALLS; i++) {
    w->n = 0;
    one_call(w, i);
    for (int k = 0; k < w->n; k++) {
      free(w->slots[k].json);
      w->slots[k].json = NULL;
    }
  }
  return NULL;
}

static long rss_kb(void) {
  long pages = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static worker_t *g_workers;

static void round_run(int round) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    g_workers[i].id = i;
    g_workers[i].round = round;
    g_workers[i].seed = (unsigned)(round * 7919 + i * 104729 + 1);
    pthread_create(&t[i], NULL, worker, &g_workers[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  if (rounds < 1) rounds = 1;
  const char *be = getenv("PERRY_CONTAINER_BACKEND");
  if (!be || strcmp(be, "fake") != 0) {
    fprintf(stderr, "stress64: run with PERRY_CONTAINER_BACKEND=fake\n");
    return 2;
  }
  g_workers = calloc(THREADS, sizeof *g_workers);
  for (int i = 0; i < THREADS; i++)
    for (int k = 0; k < 16; k++) {
      pthread_mutex_init(&g_workers[i].slots[k].mu, NULL);
      pthread_cond_init(&g_workers[i].slots[k].cv, NULL);
    }
  js_container_module_init();
  worker_t setup = {0};
  for (int k = 0; k < 4; k++) {
    pthread_mutex_init(&setup.slots[k].mu, NULL);
    pthread_cond_init(&setup.slots[k].cv, NULL);
  }
  slot_t *s = next_slot(&setup);
  js_container_pullImage(IMAGE, on_done, s);
  expect(s, 0, "pull into the fake");

  int passed = 0, failed = 0;
  long rss[64] = {0};
  struct timespec t0, t1;
  for (int r = 0; r < rounds && r < 64; r++) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long before = atomic_load(&g_fail);
    round_run(r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rss[r] = rss_kb();
    long fails = atomic_load(&g_fail) - before;
    printf("round %d: %d threads x %d calls, %.1f s, %ld failures, RSS %ld kB\n", r, THREADS, CALLS,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, fails, rss[r]);
    fflush(stdout);
    if (fails) failed++;
    else passed++;
  }
  if (rounds >= 3) {
    long growth = rss[rounds - 1] - rss[1];
    printf("RSS after round 1: %ld kB, after round %d: %ld kB (growth %ld kB)\n", rss[1], rounds - 1, rss[rounds - 1], growth);
    if (growth > 48 * 1024) {
      fprintf(stderr, "FAIL: RSS grew %ld kB over %d rounds\n", growth, rounds - 2);
      failed++;
    } else {
      passed++;
    }
  }
  char *res = js_container_shutdown(30000, 1);
  if (!res || strncmp(res, "{\"ok\":true,", 11) != 0) {
    fprintf(stderr, "FAIL shutdown: %s\n", res ? res : "NULL");
    failed++;
  } else {
    passed++;
  }
  js_container_free(res);
  /* After shutdown: every call is Cancelled, still exactly one callback. */
  worker_t *w = &g_workers[0];
  w->n = 0;
  long f0 = atomic_load(&g_fail);
  for (int i = 0; i < 100; i++) {
    w->n = 0;
    s = next_slot(w);
    if (i % 2) js_container_inspect("x", on_done, s);
    else js_container_compose_ps(1, on_done, s);
    expect(s, 499, "call after shutdown");
  }
  if (atomic_load(&g_fail) != f0) failed++;
  else passed++;
  /* Counted last, after the shutdown waited for every operation: a second
   * callback of any call shows as more callbacks than calls. */
  long calls = atomic_load(&g_calls), fired = atomic_load(&g_fired);
  printf("%ld asynchronous calls, %ld callbacks\n", calls, fired);
  if (calls != fired) {
    fprintf(stderr, "FAIL: %ld calls, %ld callbacks (each must fire exactly once)\n", calls, fired);
    failed++;
  } else {
    passed++;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
