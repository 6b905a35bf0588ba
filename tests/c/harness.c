/*
 * The C harness: calls every symbol of perry_container.h through the shared
 * library, success and error paths, then a 16-thread x 1000-call stress in
 * which every callback must fire exactly once and memory must stay flat.
 *
 *   harness fake          all checks, over PERRY_CONTAINER_BACKEND=fake
 *   harness engine        the container lifecycle on the real engine (detection;
 *                         PERRY_CONTAINER_BACKEND/_STRATEGY pick podman's CLI or
 *                         API, or nerdctl: CMakeLists.txt runs all three)
 *   harness detect-retry  a failed detection is retried once the engine
 *                         appears; NoBackendFound gives the install hint
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int g_failed, g_passed;

static void check(int ok, const char *what, const char *detail) {
  if (ok) {
    g_passed++;
  } else {
    g_failed++;
    fprintf(stderr, "FAIL: %s%s%s\n", what, detail ? "\n      got: " : "", detail ? detail : "");
  }
}

/* Asserts an ok envelope with status 0. */
static void expect_ok(call_t *c, const char *what) {
  check(c->done == 1 && c->status == 0 && strncmp(c->json, "{\"ok\":true,\"result\":", 20) == 0, what, c->json);
}

/* Asserts an error envelope of the given kind and code, whose message contains needle. */
static void expect_err(call_t *c, const char *kind, int code, const char *needle, const char *what) {
  char k[64];
  snprintf(k, sizeof k, "\"kind\":\"%s\"", kind);
  int ok = c->done == 1 && c->status == code && strncmp(c->json, "{\"ok\":false,\"error\":{", 21) == 0 &&
           strstr(c->json, k) != NULL && (needle == NULL || strstr(c->json, needle) != NULL);
  check(ok, what, c->json);
}

/* Every asynchronous call gets its own slot, kept until the end of the run:
 * the callback counts into it, and after js_container_shutdown every slot
 * must show exactly one callback, so a duplicate that fires late (after the
 * call was checked) is still caught. */
typedef struct slot {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int fired;
  int32_t status;
  char *json;
  struct timespec at; /* when the (first) callback fired */
  void *user;         /* what a chunk callback of the same call updates */
  struct slot *next;
} slot_t;

static pthread_mutex_t g_slots_mu = PTHREAD_MUTEX_INITIALIZER;
static slot_t *g_slots;
static long g_nslots;

static slot_t *slot_new(void) {
  slot_t *s = calloc(1, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_mutex_lock(&g_slots_mu);
  s->next = g_slots;
  g_slots = s;
  g_nslots++;
  pthread_mutex_unlock(&g_slots_mu);
  return s;
}

static void on_slot(void *ctx, int32_t status, const char *json, size_t len) {
  slot_t *s = ctx;
  atomic_fetch_add(&g_callbacks, 1);
  pthread_mutex_lock(&s->mu);
  if (s->fired++ == 0) {
    clock_gettime(CLOCK_MONOTONIC, &s->at);
    s->status = status;
    s->json = envelope_copy(json, len, &s->status);
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Waits for the slot's callback and copies its result into c. */
static void slot_wait(slot_t *s, call_t *c) {
  pthread_mutex_lock(&s->mu);
  while (!s->fired) pthread_cond_wait(&s->cv, &s->mu);
  c->done = s->fired;
  c->status = s->status;
  free(c->json);
  c->json = strdup(s->json);
  pthread_mutex_unlock(&s->mu);
}

/* Called last, after shutdown: every scheduled call fired exactly once. */
static void slots_verify(void) {
  long bad = 0, n = 0;
  pthread_mutex_lock(&g_slots_mu);
  for (slot_t *s = g_slots, *next; s; s = next) {
    next = s->next;
    pthread_mutex_lock(&s->mu);
    if (s->fired != 1) bad++;
    pthread_mutex_unlock(&s->mu);
    n++;
    free(s->json);
    free(s);
  }
  g_slots = NULL;
  pthread_mutex_unlock(&g_slots_mu);
  char msg[96];
  snprintf(msg, sizeof msg, "%ld of %ld calls fired other than once", bad, n);
  check(bad == 0, "after shutdown, every call's callback fired exactly once", msg);
}

#define ASYNC(c, fn, ...)                                     \
  do {                                                        \
    call_init(&(c));                                          \
    slot_t *s_ = slot_new();                                  \
    int32_t rc_ = fn(__VA_ARGS__, on_slot, s_);               \
    check(rc_ == 0, #fn " is scheduled", NULL);               \
    if (rc_ == 0) slot_wait(s_, &(c));                        \
    else s_->fired = 1; /* refused: nothing may fire */       \
  } while (0)

#define ASYNC0(c, fn)                                         \
  do {                                                        \
    call_init(&(c));                                          \
    slot_t *s_ = slot_new();                                  \
    int32_t rc_ = fn(on_slot, s_);                            \
    check(rc_ == 0, #fn " is scheduled", NULL);               \
    if (rc_ == 0) slot_wait(s_, &(c));                        \
    else s_->fired = 1;                                       \
  } while (0)

static void expect_sync_ok(char *json, const char *what) {
  check(json && strncmp(json, "{\"ok\":true,\"result\":", 20) == 0, what, json);
  js_container_free(json);
}

static void expect_sync_err(char *json, const char *kind, const char *what) {
  char k[64];
  snprintf(k, sizeof k, "\"kind\":\"%s\"", kind);
  check(json && strncmp(json, "{\"ok\":false,", 12) == 0 && strstr(json, k), what, json);
  js_container_free(json);
}

static const char *IMAGE = "perry-test/busybox:latest";

/* run -> inspect -> logs -> exec -> stop -> wait -> remove -> inspect (404). */
static void test_lifecycle(void) {
  call_t c;
  char spec[512];
  snprintf(spec, sizeof spec,
           "{\"image\":\"%s\",\"cmd\":[\"sh\",\"-c\",\"echo started; sleep 300\"],"
           "\"env\":{\"GREETING\":\"hello world; $(not run)\"},\"labels\":{\"perry.test\":\"1\"}}",
           IMAGE);
  ASYNC(c, js_container_run, spec);
  expect_ok(&c, "run");
  char *id = json_str(c.json, "id");
  char *name = json_str(c.json, "name");
  check(id && strlen(id) > 0, "run returns an id", c.json);
  check(name && strlen(name) == 17 && name[8] == '-', "anonymous run gets {md5_8}-{hex8}", c.json);
  call_free(&c);
  if (!id) return;

  ASYNC(c, js_container_inspect, id);
  expect_ok(&c, "inspect after run");
  check(strstr(c.json, "\"state\":\"running\"") != NULL, "inspect right after run shows running", c.json);
  call_free(&c);

  ASYNC(c, js_container_logs, id, "10");
  expect_ok(&c, "logs with tail");
  call_free(&c);

  ASYNC(c, js_container_exec, id, "[\"env\"]", "{\"EXTRA\":\"x y\"}", "/tmp");
  expect_ok(&c, "exec env");
  check(strstr(c.json, "GREETING=hello world; $(not run)") != NULL, "env value passed literally", c.json);
  check(strstr(c.json, "EXTRA=x y") != NULL, "exec env passed", c.json);
  check(strstr(c.json, "\"exitCode\":0") != NULL, "exec exit code 0", c.json);
  call_free(&c);

  ASYNC(c, js_container_exec, id, "[\"pwd\"]", NULL, "/tmp");
  check(strstr(c.json, "/tmp\\n") != NULL, "exec workdir", c.json);
  call_free(&c);

  ASYNC(c, js_container_exec, id, "[\"sh\",\"-c\",\"exit 3\"]", NULL, NULL);
  expect_ok(&c, "exec with non-zero exit is ok");
  check(strstr(c.json, "\"exitCode\":3") != NULL, "exec exit code 3", c.json);
  call_free(&c);

  ASYNC(c, js_container_list, "true");
  expect_ok(&c, "list all");
  check(strstr(c.json, id) != NULL, "list shows the container", NULL);
  call_free(&c);

  ASYNC(c, js_container_stop, id, "1");
  expect_ok(&c, "stop with timeout");
  call_free(&c);

  ASYNC(c, js_container_wait, id);
  expect_ok(&c, "wait");
  check(strstr(c.json, "\"exitCode\":") != NULL, "wait returns an exit code", c.json);
  call_free(&c);

  /* Not a result with the CLI's exit status (podman's CLI exits 255): the
   * error Docker's API gives, a BackendError, on every runtime. */
  ASYNC(c, js_container_exec, id, "[\"true\"]", NULL, NULL);
  check(c.status != 0 && strncmp(c.json, "{\"ok\":false,", 12) == 0 && strstr(c.json, "\"kind\":\"BackendError\"") != NULL,
        "exec on a stopped container is a BackendError", c.json);
  call_free(&c);

  ASYNC(c, js_container_remove, id, "true");
  expect_ok(&c, "remove force");
  call_free(&c);

  ASYNC(c, js_container_inspect, id);
  expect_err(&c, "NotFound", 404, id, "inspect after remove is NotFound naming the id");
  call_free(&c);
  free(id);
  free(name);
}

static void test_create_start(void) {
  call_t c;
  char spec[256];
  snprintf(spec, sizeof spec, "{\"image\":\"%s\",\"cmd\":[\"sh\",\"-c\",\"exit 7\"],\"labels\":{\"perry.test\":\"1\"}}", IMAGE);
  ASYNC(c, js_container_create, spec);
  expect_ok(&c, "create");
  char *id = json_str(c.json, "id");
  call_free(&c);
  if (!id) return;
  ASYNC(c, js_container_start, id);
  expect_ok(&c, "start");
  call_free(&c);
  ASYNC(c, js_container_wait, id);
  check(strstr(c.json, "\"exitCode\":7") != NULL, "wait returns 7", c.json);
  call_free(&c);
  ASYNC(c, js_container_remove, id, NULL);
  expect_ok(&c, "remove exited container");
  call_free(&c);
  free(id);
}

static void test_images(void) {
  call_t c;
  ASYNC0(c, js_container_listImages);
  expect_ok(&c, "listImages");
  call_free(&c);
  ASYNC(c, js_container_inspectImage, IMAGE);
  expect_ok(&c, "inspectImage");
  call_free(&c);
  ASYNC(c, js_container_inspectImage, "perry-test/no-such-image:nope");
  expect_err(&c, "NotFound", 404, "no-such-image", "inspectImage unknown is NotFound");
  call_free(&c);
  ASYNC(c, js_container_build, "{\"context\":\"/tmp\"}", "perry-test/built:1");
  expect_ok(&c, "build");
  call_free(&c);
  ASYNC(c, js_container_removeImage, "perry-test/built:1", 1);
  expect_ok(&c, "removeImage");
  call_free(&c);
  ASYNC(c, js_container_build, "{\"context\":\"/tmp\",\"dockerfil\":\"x\"}", "perry-test/built:2");
  expect_err(&c, "InvalidArgument", 400, "dockerfil", "build rejects an unknown key naming it");
  call_free(&c);
  ASYNC(c, js_container_pullImage, "perry-test/pulled:1");
  expect_ok(&c, "pullImage");
  call_free(&c);
  ASYNC(c, js_container_removeImage, "perry-test/pulled:1", 0);
  expect_ok(&c, "removeImage after pull");
  call_free(&c);
}

static void test_bad_arguments(void) {
  call_t c;
  ASYNC(c, js_container_run, NULL);
  expect_err(&c, "InvalidArgument", 400, "spec", "run(NULL) names the argument");
  call_free(&c);
  ASYNC(c, js_container_run, "{not json");
  expect_err(&c, "InvalidArgument", 400, "spec", "run(invalid JSON)");
  call_free(&c);
  ASYNC(c, js_container_run, "[1,2]");
  expect_err(&c, "InvalidArgument", 400, "spec", "run(wrong JSON type)");
  call_free(&c);
  ASYNC(c, js_container_run, "{\"image\":\"x\",\"imgae\":\"typo\"}");
  expect_err(&c, "InvalidArgument", 400, "imgae", "run rejects an unknown key naming it");
  call_free(&c);
  ASYNC(c, js_container_run, "{}");
  expect_err(&c, "InvalidArgument", 400, "image", "run without image");
  call_free(&c);
  ASYNC(c, js_container_inspect, "\xff\xfe");
  expect_err(&c, "InvalidArgument", 400, "UTF-8", "invalid UTF-8");
  call_free(&c);
  ASYNC(c, js_container_stop, "x", "-1");
  expect_err(&c, "InvalidArgument", 400, "timeout", "negative timeout");
  call_free(&c);
  ASYNC(c, js_container_logs, "x", "1.5");
  expect_err(&c, "InvalidArgument", 400, "tail", "fractional tail");
  call_free(&c);
  ASYNC(c, js_container_logs, "x", "1e300");
  expect_err(&c, "InvalidArgument", 400, "tail", "huge tail");
  call_free(&c);
  ASYNC(c, js_container_remove, "x", "\"yes\"");
  expect_err(&c, "InvalidArgument", 400, "force", "force of the wrong type");
  call_free(&c);
  ASYNC(c, js_container_exec, "x", "[]", NULL, NULL);
  expect_err(&c, "InvalidArgument", 400, "cmd", "empty cmd");
  call_free(&c);
  ASYNC(c, js_container_exec, "x", NULL, NULL, NULL);
  expect_err(&c, "InvalidArgument", 400, "cmd", "NULL cmd");
  call_free(&c);
  ASYNC(c, js_container_inspect, "no-such-container");
  expect_err(&c, "NotFound", 404, "no-such-container", "inspect unknown id");
  call_free(&c);

  /* 17 MiB input */
  size_t big = (17u << 20);
  char *huge = malloc(big + 1);
  memset(huge, 'a', big);
  huge[big] = 0;
  ASYNC(c, js_container_inspect, huge);
  expect_err(&c, "InvalidArgument", 400, "16 MiB", "input over 16 MiB");
  call_free(&c);
  free(huge);

  check(js_container_inspect("x", NULL, NULL) < 0, "NULL callback is refused", NULL);
  check(js_container_listImages(NULL, NULL) < 0, "NULL callback is refused (no args)", NULL);
}

static void test_handles(void) {
  call_t c;
  ASYNC(c, js_container_compose_down, 123456789, 0);
  expect_err(&c, "NotFound", 404, "123456789", "compose_down of an unknown handle");
  call_free(&c);
  ASYNC(c, js_compose_ps, 0);
  expect_err(&c, "InvalidArgument", 400, "handle", "handle 0 is never valid");
  call_free(&c);
  ASYNC(c, js_container_compose_ps, -5);
  expect_err(&c, "InvalidArgument", 400, "handle", "negative handle");
  call_free(&c);
  ASYNC(c, js_container_compose_ps, (int64_t)1 << 50);
  expect_err(&c, "InvalidArgument", 400, "handle", "handle above 2^48");
  call_free(&c);
  ASYNC(c, js_container_compose_logs, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "compose_logs unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_exec, 42, "web", "[\"true\"]", NULL);
  expect_err(&c, "NotFound", 404, NULL, "compose_exec unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_config, 42);
  expect_err(&c, "NotFound", 404, NULL, "compose_config unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_start, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "compose_start unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_stop, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "compose_stop unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_restart, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "compose_restart unknown");
  call_free(&c);
  ASYNC(c, js_container_compose_status, 42);
  expect_err(&c, "NotFound", 404, NULL, "compose_status unknown");
  call_free(&c);
  expect_sync_err(js_container_compose_graph(42), "NotFound", "compose_graph unknown");
  expect_sync_err(js_compose_graph(42), "NotFound", "js_compose_graph unknown");
  ASYNC(c, js_compose_down, 42, 1);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_down unknown");
  call_free(&c);
  ASYNC(c, js_compose_logs, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_logs unknown");
  call_free(&c);
  ASYNC(c, js_compose_exec, 42, "web", "[\"true\"]", NULL);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_exec unknown");
  call_free(&c);
  ASYNC(c, js_compose_config, 42);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_config unknown");
  call_free(&c);
  ASYNC(c, js_compose_start, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_start unknown");
  call_free(&c);
  ASYNC(c, js_compose_stop, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_stop unknown");
  call_free(&c);
  ASYNC(c, js_compose_restart, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_restart unknown");
  call_free(&c);
  ASYNC(c, js_compose_status, 42);
  expect_err(&c, "NotFound", 404, NULL, "js_compose_status unknown");
  call_free(&c);

  ASYNC(c, js_workload_handle_down, 42, NULL);
  expect_err(&c, "NotFound", 404, NULL, "workload down unknown");
  call_free(&c);
  ASYNC(c, js_workload_handle_status, 42);
  expect_err(&c, "NotFound", 404, NULL, "workload status unknown");
  call_free(&c);
  ASYNC(c, js_workload_handle_logs, 42, NULL, NULL);
  expect_err(&c, "NotFound", 404, NULL, "workload logs unknown");
  call_free(&c);
  ASYNC(c, js_workload_handle_exec, 42, "n", "[\"true\"]");
  expect_err(&c, "NotFound", 404, NULL, "workload exec unknown");
  call_free(&c);
  ASYNC(c, js_workload_handle_ps, 42);
  expect_err(&c, "NotFound", 404, NULL, "workload ps unknown");
  call_free(&c);
  expect_sync_err(js_workload_handle_graph(42), "NotFound", "workload graph unknown");
}

static int64_t json_int(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* A compose stack through handles: up, graph, status, ps, exec, logs,
 * config, stop/start/restart, down, down again (NotFound). Every call goes
 * through both symbol families. */
static void test_compose(int fake) {
  call_t c;
  char spec[1024];
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-harness-%d\",\"services\":{"
           "\"db\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"},"
           "\"healthcheck\":{\"test\":[\"CMD\",\"true\"],\"interval\":\"1s\",\"start_interval\":\"100ms\",\"start_period\":\"5s\"}},"
           "\"web\":{\"image\":\"%s\",\"command\":[\"sh\",\"-c\",\"echo web-up; sleep 300\"],\"labels\":{\"perry.test\":\"1\"},"
           "\"environment\":{\"DB\":\"db:5432\"},\"depends_on\":{\"db\":{\"condition\":\"service_healthy\"}}}}}",
           (int)getpid(), IMAGE, IMAGE);
  ASYNC(c, js_container_composeUp, spec);
  expect_ok(&c, "composeUp inline");
  int64_t h = json_int(c.json, "handle");
  check(h > 0, "composeUp returns a handle", c.json);
  call_free(&c);
  if (h <= 0) return;

  char *g = js_container_compose_graph(h);
  check(g && strstr(g, "\"nodes\":[\"db\",\"web\"]") && strstr(g, "{\"from\":\"web\",\"to\":\"db\"}"), "graph in topological order", g);
  js_container_free(g);
  expect_sync_ok(js_compose_graph(h), "js_compose_graph");
  ASYNC(c, js_container_compose_status, h);
  check(c.status == 0 && strstr(c.json, "\"healthy\":true"), "status healthy", c.json);
  call_free(&c);
  ASYNC(c, js_compose_status, h);
  expect_ok(&c, "js_compose_status");
  call_free(&c);
  ASYNC(c, js_container_compose_ps, h);
  check(c.status == 0 && strstr(c.json, "com.docker.compose.service\":\"web\"") && strstr(c.json, "com.docker.compose.service\":\"db\""), "ps lists both services", c.json);
  call_free(&c);
  ASYNC(c, js_compose_ps, h);
  expect_ok(&c, "js_compose_ps");
  call_free(&c);
  ASYNC(c, js_container_compose_exec, h, "web", "[\"env\"]", "{\"env\":{\"X\":\"1\"}}");
  check(c.status == 0 && strstr(c.json, "DB=db:5432") && strstr(c.json, "X=1"), "compose exec sees service and exec env", c.json);
  call_free(&c);
  ASYNC(c, js_compose_exec, h, "nope", "[\"true\"]", NULL);
  expect_err(&c, "NotFound", 404, "nope", "exec in an unknown service names it");
  call_free(&c);
  ASYNC(c, js_container_compose_logs, h, "{\"service\":\"web\",\"tail\":10}");
  check(c.status == 0 && strstr(c.json, "web | web-up"), "logs prefixed by service", c.json);
  call_free(&c);
  ASYNC(c, js_compose_logs, h, NULL);
  expect_ok(&c, "js_compose_logs");
  call_free(&c);
  ASYNC(c, js_container_compose_logs, h, "{\"tail\":-1}");
  expect_err(&c, "InvalidArgument", 400, "tail", "negative tail");
  call_free(&c);
  ASYNC(c, js_container_compose_config, h);
  check(c.status == 0 && strstr(c.json, "\"services\""), "config", c.json);
  call_free(&c);
  ASYNC(c, js_compose_config, h);
  expect_ok(&c, "js_compose_config");
  call_free(&c);
  ASYNC(c, js_container_compose_stop, h, "[\"web\"]");
  expect_ok(&c, "stop web");
  call_free(&c);
  ASYNC(c, js_compose_status, h);
  check(strstr(c.json, "\"healthy\":false") != NULL, "not healthy with web stopped", c.json);
  call_free(&c);
  ASYNC(c, js_container_compose_start, h, NULL);
  expect_ok(&c, "start all");
  call_free(&c);
  ASYNC(c, js_compose_stop, h, "[\"web\"]");
  expect_ok(&c, "js_compose_stop");
  call_free(&c);
  ASYNC(c, js_compose_start, h, "[\"web\"]");
  expect_ok(&c, "js_compose_start");
  call_free(&c);
  ASYNC(c, js_container_compose_restart, h, "[\"web\"]");
  expect_ok(&c, "restart web");
  call_free(&c);
  ASYNC(c, js_compose_restart, h, NULL);
  expect_ok(&c, "js_compose_restart");
  call_free(&c);
  ASYNC(c, js_workload_handle_status, h);
  expect_err(&c, "InvalidArgument", 400, "compose handle", "a compose handle is not a workload handle");
  call_free(&c);
  ASYNC(c, js_container_compose_down, h, 1);
  expect_ok(&c, "down");
  call_free(&c);
  ASYNC(c, js_compose_down, h, 1);
  expect_err(&c, "NotFound", 404, NULL, "down twice is NotFound");
  call_free(&c);
  (void)fake;

  /* A failing up names the failing service and leaves nothing behind. */
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-harness-fail-%d\",\"services\":{"
           "\"init\":{\"image\":\"%s\",\"command\":[\"sh\",\"-c\",\"exit 3\"],\"labels\":{\"perry.test\":\"1\"}},"
           "\"app\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"},"
           "\"depends_on\":{\"init\":{\"condition\":\"service_completed_successfully\"}}}}}",
           (int)getpid(), IMAGE, IMAGE);
  ASYNC(c, js_compose_up, spec);
  expect_err(&c, "ServiceStartupFailed", 500, "init", "a failing init job fails up naming it");
  call_free(&c);
  ASYNC(c, js_container_list, "true");
  char needle[128];
  snprintf(needle, sizeof needle, "perrytest-harness-fail-%d", (int)getpid());
  check(strstr(c.json, needle) == NULL, "rollback left no container", c.json);
  call_free(&c);

  ASYNC(c, js_container_compose_up, "{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":[\"a\"]}}}");
  check(c.status != 0 && strstr(c.json, "\"ok\":false"), "self-dependency is rejected", c.json);
  call_free(&c);
}

/* A workload graph through the builders and a handle: node, graph, runGraph
 * (a WorkloadRef resolved into the dependent's env), status, ps, exec, logs,
 * graph, down, down again (NotFound). */
static void test_workloads(void) {
  char *n = js_workload_node("db", "{\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sleep\",\"300\"],"
                                    "\"labels\":{\"perry.test\":\"1\"}}");
  check(n && strstr(n, "\"ok\":true") && strstr(n, "\"id\":\"db\""), "node builder", n);
  js_container_free(n);
  char graph[2048];
  snprintf(graph, sizeof graph,
           "{\"nodes\":{"
           "\"db\":{\"id\":\"db\",\"name\":\"db\",\"image\":\"%s\",\"cmd\":[\"sleep\",\"300\"],"
           "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},\"labels\":{\"perry.test\":\"1\"}},"
           "\"app\":{\"id\":\"app\",\"name\":\"app\",\"image\":\"%s\",\"cmd\":[\"sleep\",\"300\"],"
           "\"env\":{\"DB_URL\":{\"nodeId\":\"db\",\"projection\":\"internalUrl\",\"port\":\"5432\"}},"
           "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},\"labels\":{\"perry.test\":\"1\"}}}}",
           IMAGE, IMAGE);
  char name[64];
  snprintf(name, sizeof name, "perrytest-graph-%d", (int)getpid());
  char *g = js_workload_graph(name, graph);
  check(g && strstr(g, "\"ok\":true") && strstr(g, "{\"from\":\"app\",\"to\":\"db\""), "graph builder derives the ref edge", g);
  /* runGraph takes the built graph: the envelope's result. */
  char *built = g ? strstr(g, "\"result\":") : NULL;
  char *gjson = NULL;
  if (built) {
    built += 9;
    gjson = strdup(built);
    gjson[strlen(gjson) - 1] = 0; /* drop the envelope's closing brace */
  }
  js_container_free(g);
  if (!gjson) return;
  call_t c;
  ASYNC(c, js_workload_runGraph, gjson, "{\"strategy\":\"dependency-aware\",\"onFailure\":\"rollback-all\"}");
  expect_ok(&c, "runGraph");
  int64_t h = json_int(c.json, "handle");
  check(h > 0 && strstr(c.json, "DB_URL"), "runGraph returns a handle and the resolved ref", c.json);
  call_free(&c);
  if (h > 0) {
    ASYNC(c, js_workload_handle_status, h);
    check(c.status == 0 && strstr(c.json, "\"healthy\":true"), "graph status", c.json);
    call_free(&c);
    ASYNC(c, js_workload_handle_ps, h);
    check(c.status == 0 && strstr(c.json, "\"nodeId\":\"app\""), "graph ps", c.json);
    call_free(&c);
    ASYNC(c, js_workload_handle_exec, h, "app", "[\"env\"]");
    check(c.status == 0 && strstr(c.json, "DB_URL="), "the ref is in the dependent's environment", c.json);
    call_free(&c);
    ASYNC(c, js_workload_handle_logs, h, NULL, "{\"tail\":5}");
    expect_ok(&c, "graph logs");
    call_free(&c);
    expect_sync_ok(js_workload_handle_graph(h), "handle graph");
    ASYNC(c, js_container_compose_ps, h);
    expect_err(&c, "InvalidArgument", 400, "workload handle", "a workload handle is not a compose handle");
    call_free(&c);
    ASYNC(c, js_workload_inspectGraph, gjson);
    expect_ok(&c, "inspectGraph of a running graph");
    call_free(&c);
    ASYNC(c, js_workload_handle_down, h, "{\"volumes\":true}");
    expect_ok(&c, "graph down");
    call_free(&c);
    ASYNC(c, js_workload_handle_down, h, NULL);
    expect_err(&c, "NotFound", 404, NULL, "graph down twice is NotFound");
    call_free(&c);
  }
  free(gjson);
  char *cyc = js_workload_graph("cyc", "{\"nodes\":{\"a\":{\"id\":\"a\",\"name\":\"a\",\"image\":\"x\",\"dependsOn\":[\"b\"],"
                                       "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"}},"
                                       "\"b\":{\"id\":\"b\",\"name\":\"b\",\"image\":\"x\",\"dependsOn\":[\"a\"],"
                                       "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"}}}}");
  expect_sync_err(cyc, "DependencyCycle", "a cycle is rejected by the builder");
}

/* Features that later parts implement: each call answers once with an envelope. */
static void test_feature_entry_points(void) {
  call_t c;
  ASYNC(c, js_container_composeUp, NULL);
  expect_err(&c, "InvalidArgument", 400, "spec", "composeUp(NULL)");
  call_free(&c);
  ASYNC(c, js_compose_up, NULL);
  expect_err(&c, "InvalidArgument", 400, "spec", "js_compose_up(NULL)");
  call_free(&c);
  ASYNC(c, js_container_compose_up, NULL);
  expect_err(&c, "InvalidArgument", 400, "spec", "compose_up(NULL)");
  call_free(&c);
  ASYNC(c, js_workload_runGraph, NULL, NULL);
  expect_err(&c, "InvalidArgument", 400, "graph", "runGraph(NULL)");
  call_free(&c);
  ASYNC(c, js_workload_inspectGraph, NULL);
  expect_err(&c, "InvalidArgument", 400, "graph", "inspectGraph(NULL)");
  call_free(&c);
  expect_sync_err(js_workload_graph(NULL, NULL), "InvalidArgument", "graph(NULL)");
  expect_sync_err(js_workload_node(NULL, NULL), "InvalidArgument", "node(NULL)");
  ASYNC(c, perry_container_run_capability, NULL, NULL, "[\"true\"]", NULL);
  expect_err(&c, "InvalidArgument", 400, "name", "run_capability(NULL name)");
  call_free(&c);
}

static void test_backend(int fake) {
  char *b = js_container_getBackend();
  if (fake) check(b && strstr(b, "\"name\":\"fake\""), "getBackend is fake", b);
  /* The runtime and strategy asked for are the ones detection selected (the
   * podman and nerdctl runs must not pass on another runtime). */
  const char *want_name = getenv("PERRY_CONTAINER_BACKEND"), *want_strategy = getenv("PERRY_CONTAINER_STRATEGY");
  char pat[96];
  if (!fake && want_name && *want_name) {
    snprintf(pat, sizeof pat, "\"name\":\"%s\"", want_name);
    check(b && strstr(b, pat), "getBackend is the runtime asked for", b);
  }
  if (!fake && want_strategy && *want_strategy) {
    snprintf(pat, sizeof pat, "\"strategy\":\"%s\"", want_strategy);
    check(b && strstr(b, pat), "getBackend uses the strategy asked for", b);
  }
  expect_sync_ok(b, "getBackend");
  call_t c;
  ASYNC0(c, js_container_getBackendAsync);
  expect_ok(&c, "getBackendAsync");
  if (fake) check(strstr(c.json, "\"name\":\"fake\"") != NULL, "getBackendAsync answers the selected backend", c.json);
  call_free(&c);
  ASYNC0(c, js_container_detectBackend);
  expect_ok(&c, "detectBackend");
  check(strstr(c.json, "\"isolationLevel\"") != NULL, "detectBackend lists isolation levels", c.json);
  call_free(&c);
  check(strcmp(js_container_abi_version(), PERRY_CONTAINER_ABI_VERSION) == 0, "abi version matches the header", NULL);
  js_container_free(NULL);
}

/* ---- issue: what a host author hit ---------------------------------- */

static int count_of(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

static void down_ok(int64_t h, const char *what) {
  call_t c;
  ASYNC(c, js_container_compose_down, h, 0);
  expect_ok(&c, what);
  call_free(&c);
}

static int64_t up_handle(const char *spec, const char *what) {
  call_t c;
  ASYNC(c, js_container_composeUp, spec);
  expect_ok(&c, what);
  int64_t h = c.status == 0 ? json_int(c.json, "handle") : -1;
  call_free(&c);
  return h;
}

/* A second up of a project this process holds converges it and answers with
 * the same handle; down through it ends the project for every holder. */
static void test_same_project_same_handle(void) {
  char spec[512];
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-twice-%d\",\"services\":{\"a\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],"
           "\"labels\":{\"perry.test\":\"1\"}}}}",
           (int)getpid(), IMAGE);
  int64_t h1 = up_handle(spec, "first composeUp");
  int64_t h2 = up_handle(spec, "second composeUp of the same project");
  char msg[96];
  snprintf(msg, sizeof msg, "handles %lld and %lld", (long long)h1, (long long)h2);
  check(h1 > 0 && h1 == h2, "a second composeUp of a held project answers with the same handle", msg);
  call_t c;
  ASYNC(c, js_container_compose_ps, h1);
  check(c.status == 0 && count_of(c.json, "\"com.docker.compose.service\":\"a\"") == 1,
        "one container after two ups (converged, not duplicated)", c.json);
  call_free(&c);
  down_ok(h2, "down through the second holder");
  ASYNC(c, js_container_compose_status, h1);
  expect_err(&c, "NotFound", 404, NULL, "the first holder's handle ended with the down");
  call_free(&c);
  int64_t h3 = up_handle(spec, "up again after down");
  check(h3 > h2, "after a down, an up gets a new handle (never reused)", NULL);
  down_ok(h3, "down of the new handle");

  /* The same for a workload graph run twice by name. */
  char graph[1024];
  snprintf(graph, sizeof graph,
           "{\"name\":\"perrytest-graph-twice-%d\",\"nodes\":{\"n\":{\"id\":\"n\",\"name\":\"n\",\"image\":\"%s\","
           "\"cmd\":[\"sleep\",\"300\"],\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},"
           "\"labels\":{\"perry.test\":\"1\"}}},\"edges\":[]}",
           (int)getpid(), IMAGE);
  ASYNC(c, js_workload_runGraph, graph, NULL);
  expect_ok(&c, "first runGraph");
  int64_t g1 = json_int(c.json, "handle");
  call_free(&c);
  ASYNC(c, js_workload_runGraph, graph, NULL);
  expect_ok(&c, "second runGraph of the same graph");
  int64_t g2 = json_int(c.json, "handle");
  call_free(&c);
  snprintf(msg, sizeof msg, "handles %lld and %lld", (long long)g1, (long long)g2);
  check(g1 > 0 && g1 == g2, "a second runGraph of a held graph answers with the same handle", msg);
  ASYNC(c, js_workload_handle_down, g1, NULL);
  expect_ok(&c, "graph down");
  call_free(&c);
  ASYNC(c, js_workload_handle_ps, g2);
  expect_err(&c, "NotFound", 404, NULL, "the graph's handle ended for both holders");
  call_free(&c);
}

/* The fake evaluates healthchecks and its sh -c honours redirections. */
static void test_fake_simulation(void) {
  call_t c;
  char spec[512];
  snprintf(spec, sizeof spec,
           "{\"image\":\"%s\",\"cmd\":[\"sleep\",\"300\"],\"healthcheck\":{\"test\":[\"CMD\",\"false\"]},"
           "\"labels\":{\"perry.test\":\"1\"}}",
           IMAGE);
  ASYNC(c, js_container_run, spec);
  expect_ok(&c, "run with a failing healthcheck");
  char *id = json_str(c.json, "id");
  call_free(&c);
  if (!id) return;
  ASYNC(c, js_container_inspect, id);
  check(c.status == 0 && strstr(c.json, "\"health\":\"unhealthy\""), "[\"CMD\",\"false\"] is unhealthy on the fake", c.json);
  check(strstr(c.json, "\"ports\":[]") != NULL, "inspect: ports is [] when nothing is published, not null", c.json);
  call_free(&c);
  ASYNC(c, js_container_list, "true");
  check(c.status == 0 && strstr(c.json, "\"ports\":[]") && !strstr(c.json, "\"ports\":null"), "list: ports is [] not null", c.json);
  call_free(&c);
  ASYNC(c, js_container_exec, id, "[\"sh\",\"-c\",\"echo ready > /tmp/r; cat /nope 2>/dev/null; cat /tmp/r\"]", NULL, NULL);
  check(c.status == 0 && strstr(c.json, "\"stdout\":\"ready\\n\"") && strstr(c.json, "\"stderr\":\"\""),
        "sh -c: > writes a file, 2>/dev/null discards stderr", c.json);
  call_free(&c);
  ASYNC(c, js_container_exec, id, "[\"sh\",\"-c\",\"echo 'a -> b & <c>' >&2\"]", NULL, NULL);
  check(c.status == 0 && strstr(c.json, "\"stderr\":\"a -> b & <c>\\n\""), "sh -c: >&2, and no HTML escaping in the envelope", c.json);
  call_free(&c);
  ASYNC(c, js_container_remove, id, "true");
  expect_ok(&c, "remove");
  call_free(&c);
  free(id);
}

/* Error messages a host can act on. */
static void test_error_messages(void) {
  call_t c;
  ASYNC(c, js_container_composeUp, "{");
  expect_err(&c, "InvalidConfig", 400, "\"argument\":\"spec\"", "composeUp(\"{\") names the argument");
  call_free(&c);
  ASYNC(c, js_container_composeUp, "{\"services\":{\"a\":{\"imagee\":\"x\"}}}");
  expect_err(&c, "InvalidConfig", 400, "unknown key \\\"imagee\\\"", "an unknown compose key is worded as ContainerSpec does");
  call_free(&c);
  char spec[256];
  snprintf(spec, sizeof spec, "{\"image\":\"%s\",\"memory\":-1}", IMAGE);
  ASYNC(c, js_container_run, spec);
  expect_err(&c, "InvalidArgument", 400, "memory must not be negative", "memory -1 is rejected");
  call_free(&c);
  snprintf(spec, sizeof spec, "{\"image\":\"%s\",\"memory\":1e30}", IMAGE);
  ASYNC(c, js_container_run, spec);
  expect_err(&c, "InvalidArgument", 400, "must be an integer from", "memory 1e30 says the range");
  check(strstr(c.json, "expected a JSON number, got a JSON number") == NULL, "no 'expected a number, got a number'", c.json);
  call_free(&c);
}

static double ms_between(struct timespec a, struct timespec b) {
  return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Cancel of an in-flight up: Cancelled 499 once, nothing left behind.
 * The up waits for a job that never completes, so it is in flight until
 * cancelled. Cancel of a finished or unknown ctx is a no-op. */
static void test_cancel(int n) {
  enum { MAXN = 15 };
  const int N = n < MAXN ? n : MAXN;
  double lat[MAXN];
  int ok = 0;
  for (int i = 0; i < N; i++) {
    char spec[768];
    snprintf(spec, sizeof spec,
             "{\"name\":\"perrytest-cancel-%d-%d\",\"services\":{"
             "\"job\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"stop_grace_period\":\"1s\",\"labels\":{\"perry.test\":\"1\"}},"
             "\"app\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"},"
             "\"depends_on\":{\"job\":{\"condition\":\"service_completed_successfully\"}}}}}",
             (int)getpid(), i, IMAGE, IMAGE);
    slot_t *s = slot_new();
    check(js_container_composeUp(spec, on_slot, s) == 0, "composeUp scheduled", NULL);
    /* In flight once the job container runs. */
    char needle[96];
    snprintf(needle, sizeof needle, "perrytest-cancel-%d-%d-job", (int)getpid(), i);
    for (int tries = 0;; tries++) {
      call_t l;
      ASYNC(l, js_container_list, "false");
      int running = strstr(l.json, needle) != NULL;
      call_free(&l);
      pthread_mutex_lock(&s->mu);
      int fired = s->fired;
      pthread_mutex_unlock(&s->mu);
      if (running || fired || tries > 100000) break;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    js_container_cancel(s);
    call_t c;
    call_init(&c);
    slot_wait(s, &c);
    lat[i] = ms_between(t0, s->at);
    if (c.status == 499 && strstr(c.json, "\"kind\":\"Cancelled\"")) ok++;
    else check(0, "cancelled up answers Cancelled 499", c.json);
    call_free(&c);
    ASYNC(c, js_container_list, "true");
    char proj[64];
    snprintf(proj, sizeof proj, "perrytest-cancel-%d-%d", (int)getpid(), i);
    check(c.status == 0 && strstr(c.json, proj) == NULL, "a cancelled up leaves no container (rolled back)", c.json);
    call_free(&c);
    js_container_cancel(s); /* finished: a no-op */
  }
  check(ok == N, "every cancelled up answered Cancelled", NULL);
  qsort(lat, N, sizeof lat[0], cmp_double);
  printf("cancel latency (cancel -> callback, rollback included): median %.3f ms, max %.3f ms over %d ups\n", lat[N / 2], lat[N - 1], N);
  js_container_cancel((void *)(uintptr_t)0xdeadbeef); /* unknown */
  js_container_cancel(NULL);
  call_t c;
  ASYNC(c, js_container_inspect, "no-such");
  expect_err(&c, "NotFound", 404, NULL, "the library works on after cancels of unknown ctxs");
  call_free(&c);
}

/* Read-only calls on a handle do not wait behind a long up on it: a second
 * up of the project adds a service that waits for a job that never
 * completes, so it holds the handle until cancelled; ps, status, graph,
 * logs and config answer meanwhile. The cancelled up leaves the handle
 * valid. */
static void test_reads_during_up(void) {
  char spec[512], spec2[1024];
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-reads-%d\",\"services\":{\"a\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],"
           "\"labels\":{\"perry.test\":\"1\"}}}}",
           (int)getpid(), IMAGE);
  snprintf(spec2, sizeof spec2,
           "{\"name\":\"perrytest-reads-%d\",\"services\":{\"a\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],"
           "\"labels\":{\"perry.test\":\"1\"}},"
           "\"job\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"}},"
           "\"b\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"},"
           "\"depends_on\":{\"job\":{\"condition\":\"service_completed_successfully\"}}}}}",
           (int)getpid(), IMAGE, IMAGE, IMAGE);
  int64_t h = up_handle(spec, "composeUp before the long up");
  if (h <= 0) return;
  slot_t *up = slot_new();
  check(js_container_composeUp(spec2, on_slot, up) == 0, "the long up is scheduled", NULL);
  /* Wait until the long up holds the handle: its job container runs. */
  char needle[96];
  snprintf(needle, sizeof needle, "perrytest-reads-%d-job", (int)getpid());
  for (int found = 0; !found;) {
    call_t l;
    ASYNC(l, js_container_list, "false");
    found = strstr(l.json, needle) != NULL;
    call_free(&l);
  }
  call_t c;
  ASYNC(c, js_container_compose_ps, h);
  expect_ok(&c, "ps answers while an up holds the handle");
  call_free(&c);
  ASYNC(c, js_container_compose_status, h);
  expect_ok(&c, "status answers while an up holds the handle");
  call_free(&c);
  ASYNC(c, js_container_compose_logs, h, NULL);
  expect_ok(&c, "logs answer while an up holds the handle");
  call_free(&c);
  ASYNC(c, js_container_compose_config, h);
  expect_ok(&c, "config answers while an up holds the handle");
  call_free(&c);
  expect_sync_ok(js_container_compose_graph(h), "graph answers while an up holds the handle");
  pthread_mutex_lock(&up->mu);
  int fired = up->fired;
  pthread_mutex_unlock(&up->mu);
  check(!fired, "the long up was still in flight during the reads", NULL);
  js_container_cancel(up);
  call_init(&c);
  slot_wait(up, &c);
  expect_err(&c, "Cancelled", 499, NULL, "the long up, cancelled, answers Cancelled");
  check(strstr(c.json, "\"handle\":") != NULL, "the cancelled converge names the handle it kept", c.json);
  call_free(&c);
  ASYNC(c, js_container_compose_status, h);
  expect_ok(&c, "the handle stays valid after a cancelled converge");
  call_free(&c);
  down_ok(h, "down after the cancelled converge");
}

/* shutdown(0, 1) with nothing in flight tears down and is not a Timeout;
 * after it every call, synchronous ones included, is Cancelled; module_init
 * starts a fresh state in which old handles are NotFound and never reused. */
static void test_shutdown_reinit(void) {
  char spec[512];
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-reinit-%d\",\"services\":{\"a\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],"
           "\"labels\":{\"perry.test\":\"1\"}}}}",
           (int)getpid(), IMAGE);
  int64_t h = up_handle(spec, "composeUp before shutdown(0, 1)");
  char *r = js_container_shutdown(0, 1);
  char want[64];
  snprintf(want, sizeof want, "\"tornDown\":[%lld]", (long long)h);
  check(r && strstr(r, "\"ok\":true") && strstr(r, want), "shutdown(0, 1) with nothing in flight tears down, no Timeout", r);
  js_container_free(r);
  call_t c;
  ASYNC(c, js_container_list, "true");
  expect_err(&c, "Cancelled", 499, "shut down", "list after shutdown is Cancelled");
  call_free(&c);
  expect_sync_err(js_workload_node("n", NULL), "Cancelled", "js_workload_node after shutdown is Cancelled");
  expect_sync_err(js_workload_graph("g", "{\"nodes\":{}}"), "Cancelled", "js_workload_graph after shutdown is Cancelled");
  expect_sync_err(js_container_compose_graph(h), "Cancelled", "js_container_compose_graph after shutdown is Cancelled");
  expect_sync_err(js_workload_handle_graph(h), "Cancelled", "js_workload_handle_graph after shutdown is Cancelled");

  js_container_module_init();
  ASYNC(c, js_container_list, "true");
  char proj[64];
  snprintf(proj, sizeof proj, "perrytest-reinit-%d", (int)getpid());
  check(c.status == 0 && strstr(c.json, proj) == NULL, "re-init: calls work again, and the teardown removed the stack", c.json);
  call_free(&c);
  ASYNC(c, js_container_compose_ps, h);
  expect_err(&c, "NotFound", 404, NULL, "a handle from before the shutdown is NotFound after re-init");
  call_free(&c);
  int64_t h2 = up_handle(spec, "composeUp after re-init");
  check(h2 > h, "handles are never reused across re-init", NULL);
  down_ok(h2, "down after re-init");
}

/* ---- followed logs ---------------------------------------------------- */

/* A followed stream: the chunks' lines are checked in order against the
 * counter, as they arrive. */
typedef struct {
  pthread_mutex_t mu;
  long lines, next, bad, chunks;
  int split;            /* count service "b" apart (a stack's follow) */
  long lines_b, next_b; /* service "b" when split */
  int concurrent, in_cb;
  int slow_us; /* a slow host: each chunk callback takes this long */
  long rss_max;
} follow_t;

static long rss_now_kb(void) {
  long pages = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The ctx of a followed call is its slot (both callbacks get the same ctx). */
static void on_chunk(void *ctx, const char *json, size_t len) {
  follow_t *f = ((slot_t *)ctx)->user;
  if (__atomic_fetch_add(&f->in_cb, 1, __ATOMIC_SEQ_CST) != 0) f->concurrent = 1;
  pthread_mutex_lock(&f->mu);
  f->chunks++;
  if (strlen(json) != len || json[0] != '[') f->bad++;
  for (const char *p = json; (p = strstr(p, "\"line\":\"")) != NULL;) {
    int is_b = 0;
    if (f->split) {
      /* {"service":"a","stream":"stdout","line":"1"}: the service precedes the line. */
      const char *svc = p;
      while (svc > json && strncmp(svc, "\"service\":\"", 11) != 0) svc--;
      if (strncmp(svc, "\"service\":\"", 11) != 0) f->bad++;
      is_b = svc[11] == 'b';
    }
    p += 8;
    long v = strtol(p, NULL, 10);
    long *next = is_b ? &f->next_b : &f->next;
    if (is_b && f->next_b == 0) f->next_b = 1;
    if (v != *next) f->bad++;
    *next = v + 1;
    if (is_b) f->lines_b++;
    else f->lines++;
  }
  if (f->slow_us) {
    long r = rss_now_kb();
    if (r > f->rss_max) f->rss_max = r;
  }
  pthread_mutex_unlock(&f->mu);
  if (f->slow_us) {
    struct timespec d = {0, (long)f->slow_us * 1000};
    nanosleep(&d, NULL); /* a slow host, not a synchronisation */
  }
  __atomic_fetch_sub(&f->in_cb, 1, __ATOMIC_SEQ_CST);
}

/* Runs a container printing 1..n, one per line, and follows it. */
static void follow_count(int fake, long n, int slow_us, const char *what) {
  call_t c;
  char *spec;
  size_t cap = (size_t)n * 16 + 512;
  spec = malloc(cap);
  if (fake) {
    /* The fake's sh -c: "echo 1; echo 2; …" (it has no loops). */
    size_t off = (size_t)snprintf(spec, cap, "{\"image\":\"%s\",\"labels\":{\"perry.test\":\"1\"},\"cmd\":[\"sh\",\"-c\",\"", IMAGE);
    for (long i = 1; i <= n; i++) off += (size_t)snprintf(spec + off, cap - off, "echo %ld;", i);
    snprintf(spec + off, cap - off, "\"]}");
  } else {
    snprintf(spec, cap, "{\"image\":\"%s\",\"labels\":{\"perry.test\":\"1\"},\"cmd\":[\"seq\",\"1\",\"%ld\"]}", IMAGE, n);
  }
  ASYNC(c, js_container_run, spec);
  free(spec);
  expect_ok(&c, "run a counting container");
  char *id = json_str(c.json, "id");
  call_free(&c);
  if (!id) return;
  if (!fake) {
    /* Docker 20.10's own follow (`docker logs -f` too) drops lines when the
     * container exits while being followed: follow the finished log. */
    ASYNC(c, js_container_wait, id);
    call_free(&c);
  }
  follow_t f = {.next = 1, .slow_us = slow_us};
  pthread_mutex_init(&f.mu, NULL);
  long rss0 = rss_now_kb();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  call_init(&c);
  slot_t *s = slot_new();
  s->user = &f;
  check(js_container_logs_follow(id, NULL, on_chunk, on_slot, s) == 0, "logs_follow is scheduled", NULL);
  slot_wait(s, &c);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = ms_between(t0, t1) / 1e3;
  char msg[160];
  snprintf(msg, sizeof msg, "%ld lines in %ld chunks, %ld out of order or malformed", f.lines, f.chunks, f.bad);
  expect_ok(&c, "logs_follow ends ok once the container exits");
  check(f.lines == n && f.bad == 0, what, msg);
  char want[48];
  snprintf(want, sizeof want, "\"lines\":%ld", n);
  check(strstr(c.json, want) != NULL, "the final callback counts the lines", c.json);
  check(!f.concurrent, "chunks never run concurrently", NULL);
  call_free(&c);
  if (slow_us) {
    printf("follow, slow host (%d us per chunk): %ld lines, RSS %ld kB -> peak %ld kB (+%ld kB)\n", slow_us, f.lines, rss0, f.rss_max,
           f.rss_max - rss0);
  } else {
    printf("follow throughput (%s): %ld lines in %.3f s = %.0f lines/s\n", fake ? "fake" : "engine", f.lines, secs, (double)f.lines / secs);
  }
  ASYNC(c, js_container_remove, id, "true");
  expect_ok(&c, "remove the counting container");
  call_free(&c);
  free(id);
}

static void test_follow(int fake) {
  follow_count(fake, 100000, 0, "100000 lines arrive complete and in order");
  follow_count(fake, 100000, 2000, "a slow host still gets every line, in order");
  if (fake) {
    /* Cancel: the follow of a running container ends Cancelled. */
    char spec[256];
    snprintf(spec, sizeof spec, "{\"image\":\"%s\",\"cmd\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"}}", IMAGE);
    call_t c;
    ASYNC(c, js_container_run, spec);
    char *id = json_str(c.json, "id");
    call_free(&c);
    if (!id) return;
    follow_t f = {.next = 1};
    pthread_mutex_init(&f.mu, NULL);
    slot_t *s = slot_new();
    s->user = &f;
    check(js_container_logs_follow(id, NULL, on_chunk, on_slot, s) == 0, "follow of a running container", NULL);
    js_container_cancel(s);
    call_init(&c);
    slot_wait(s, &c);
    expect_err(&c, "Cancelled", 499, NULL, "a cancelled follow answers Cancelled");
    call_free(&c);
    ASYNC(c, js_container_remove, id, "true");
    call_free(&c);
    free(id);
  }
  if (fake) {
    /* A stack's follow: two services printing 1..n each; every line with its
     * service, each service's lines in order, then one completion. */
    enum { PER = 2000 };
    size_t cap = PER * 24 + 1024; /* the script twice */
    char *spec = malloc(cap), *script = malloc(PER * 12 + 16);
    size_t off = 0;
    for (int i = 1; i <= PER; i++) off += (size_t)snprintf(script + off, PER * 12 + 16 - off, "echo %d;", i);
    snprintf(spec, cap,
             "{\"name\":\"perrytest-follow-%d\",\"services\":{"
             "\"a\":{\"image\":\"%s\",\"command\":[\"sh\",\"-c\",\"%s\"],\"labels\":{\"perry.test\":\"1\"}},"
             "\"b\":{\"image\":\"%s\",\"command\":[\"sh\",\"-c\",\"%s\"],\"labels\":{\"perry.test\":\"1\"}}}}",
             (int)getpid(), IMAGE, script, IMAGE, script);
    int64_t h = up_handle(spec, "composeUp of two counting services");
    free(spec);
    free(script);
    if (h > 0) {
      follow_t fa = {.next = 1};
      pthread_mutex_init(&fa.mu, NULL);
      slot_t *s = slot_new();
      s->user = &fa;
      fa.split = 1;
      check(js_compose_logs_follow(h, NULL, on_chunk, on_slot, s) == 0, "compose logs_follow is scheduled", NULL);
      call_t c;
      call_init(&c);
      slot_wait(s, &c);
      expect_ok(&c, "the stack's follow ends once its containers exited");
      char msg[128];
      snprintf(msg, sizeof msg, "a: %ld lines (next %ld), b: %ld lines (next %ld), %ld bad", fa.lines, fa.next, fa.lines_b, fa.next_b, fa.bad);
      check(fa.lines == PER && fa.lines_b == PER && fa.bad == 0, "each service's lines arrive complete, in order, with their service", msg);
      call_free(&c);
      down_ok(h, "down of the followed stack");
    }
  }
  call_t c;
  ASYNC(c, js_container_logs_follow, "no-such-container", NULL, on_chunk);
  expect_err(&c, "NotFound", 404, "no-such-container", "follow of an unknown container is NotFound");
  call_free(&c);
  check(js_container_logs_follow("x", NULL, NULL, on_slot, NULL) < 0, "a NULL chunk callback is refused", NULL);
}

/* ---- a workload graph's followed logs -------------------------------- */

/* Builds a graph with js_workload_graph and returns runGraph's argument
 * (the envelope's result), malloc'd, or NULL. */
static char *built_graph(const char *name, const char *spec) {
  char *g = js_workload_graph(name, spec);
  char *built = g ? strstr(g, "\"result\":") : NULL;
  char *out = NULL;
  if (built && strstr(g, "\"ok\":true")) {
    out = strdup(built + 9);
    out[strlen(out) - 1] = 0; /* drop the envelope's closing brace */
  }
  check(out != NULL, "the graph builder accepts the graph", g);
  js_container_free(g);
  return out;
}

/* Two nodes print 1..n each: the graph's follow carries every line with its
 * node id, each node's lines in order, then one completion; a follow of a
 * node that keeps running ends Cancelled once cancelled. */
static void test_graph_follow(int fake) {
  enum { PER = 2000 };
  char *script = malloc(PER * 12 + 16);
  if (fake) {
    size_t off = 0; /* the fake's sh -c has no loops */
    for (int i = 1; i <= PER; i++) off += (size_t)snprintf(script + off, PER * 12 + 16 - off, "echo %d;", i);
  } else {
    snprintf(script, PER * 12 + 16, "seq 1 %d", PER);
  }
  size_t cap = PER * 24 + 2048;
  char *spec = malloc(cap);
  snprintf(spec, cap,
           "{\"nodes\":{"
           "\"a\":{\"id\":\"a\",\"name\":\"a\",\"image\":\"%s\",\"cmd\":[\"sh\",\"-c\",\"%s\"],"
           "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},\"labels\":{\"perry.test\":\"1\"}},"
           "\"b\":{\"id\":\"b\",\"name\":\"b\",\"image\":\"%s\",\"cmd\":[\"sh\",\"-c\",\"%s\"],"
           "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},\"labels\":{\"perry.test\":\"1\"}},"
           "\"up\":{\"id\":\"up\",\"name\":\"up\",\"image\":\"%s\",\"cmd\":[\"sleep\",\"300\"],"
           "\"runtime\":{\"type\":\"oci\"},\"policy\":{\"tier\":\"default\"},\"labels\":{\"perry.test\":\"1\"}}}}",
           IMAGE, script, IMAGE, script, IMAGE);
  char name[64];
  snprintf(name, sizeof name, "perrytest-graphfollow-%d", (int)getpid());
  char *gjson = built_graph(name, spec);
  free(spec);
  free(script);
  if (!gjson) return;
  call_t c;
  ASYNC(c, js_workload_runGraph, gjson, "{\"strategy\":\"max-parallel\"}");
  expect_ok(&c, "runGraph of two counting nodes");
  int64_t h = c.status == 0 ? json_int(c.json, "handle") : -1;
  call_free(&c);
  free(gjson);
  if (h <= 0) return;
  if (!fake) {
    /* Docker 20.10's own follow drops lines of a container that exits
     * while followed (see test_follow): wait for both to finish first. */
    for (int i = 0; i < 600; i++) {
      ASYNC(c, js_workload_handle_ps, h);
      int done = c.status == 0 && count_of(c.json, "\"state\":\"running\"") == 1;
      call_free(&c);
      if (done) break;
      struct timespec d = {0, 50 * 1000 * 1000};
      nanosleep(&d, NULL); /* polling a state, not a synchronisation */
    }
  }
  const char *nodes[] = {"a", "b"};
  for (int i = 0; i < 2; i++) {
    follow_t f = {.next = 1};
    pthread_mutex_init(&f.mu, NULL);
    slot_t *s = slot_new();
    s->user = &f;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check(js_workload_handle_logs_follow(h, nodes[i], NULL, on_chunk, on_slot, s) == 0, "graph logs_follow is scheduled", NULL);
    call_init(&c);
    slot_wait(s, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    expect_ok(&c, "a node's follow ends once its container exited");
    char msg[128];
    snprintf(msg, sizeof msg, "node %s: %ld lines (next %ld), %ld bad", nodes[i], f.lines, f.next, f.bad);
    check(f.lines == PER && f.bad == 0 && !f.concurrent, "a node's lines arrive complete, in order, one chunk at a time", msg);
    call_free(&c);
    printf("graph follow (%s), node %s: %ld lines in %.3f s\n", fake ? "fake" : "engine", nodes[i], f.lines, ms_between(t0, t1) / 1e3);
  }
  /* Every node at once: "up" keeps running, so only the cancel ends it. */
  follow_t f = {.next = 1};
  pthread_mutex_init(&f.mu, NULL);
  f.split = 1;
  slot_t *s = slot_new();
  s->user = &f;
  check(js_workload_handle_logs_follow(h, NULL, NULL, on_chunk, on_slot, s) == 0, "graph logs_follow of every node", NULL);
  for (int i = 0; i < 600; i++) {
    pthread_mutex_lock(&f.mu);
    int all = f.lines == PER && f.lines_b == PER;
    pthread_mutex_unlock(&f.mu);
    if (all) break;
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL); /* polling a state, not a synchronisation */
  }
  js_container_cancel(s);
  call_init(&c);
  slot_wait(s, &c);
  expect_err(&c, "Cancelled", 499, NULL, "a cancelled graph follow answers Cancelled, once");
  pthread_mutex_lock(&f.mu);
  long chunks = f.chunks;
  char msg[128];
  snprintf(msg, sizeof msg, "a: %ld, b: %ld lines, %ld bad", f.lines, f.lines_b, f.bad);
  check(f.lines == PER && f.lines_b == PER && f.bad == 0, "every node's lines, each node's in order, with its node id", msg);
  pthread_mutex_unlock(&f.mu);
  call_free(&c);
  ASYNC(c, js_workload_handle_status, h); /* a round trip: no chunk after the final callback */
  call_free(&c);
  check(f.chunks == chunks, "no chunk after the final callback", NULL);
  ASYNC(c, js_workload_handle_logs_follow, h, "nope", NULL, on_chunk);
  expect_err(&c, "NotFound", 404, "nope", "a graph follow of an unknown node is NotFound");
  call_free(&c);
  ASYNC(c, js_workload_handle_down, h, "{\"volumes\":true}");
  expect_ok(&c, "down of the followed graph");
  call_free(&c);
  ASYNC(c, js_workload_handle_logs_follow, h, NULL, NULL, on_chunk);
  expect_err(&c, "NotFound", 404, NULL, "a graph follow of a handle that is down is NotFound");
  call_free(&c);
  check(js_workload_handle_logs_follow(h, NULL, NULL, NULL, on_slot, NULL) < 0, "a NULL chunk callback is refused", NULL);
}

/* ---- a stack's events -------------------------------------------------- */

/* The events seen so far, as "service:action " words in order. */
typedef struct {
  pthread_mutex_t mu;
  char seq[16384];
  size_t len;
  long chunks, events;
  int concurrent, in_cb, bad;
  struct timespec last; /* when the last chunk arrived */
} events_t;

static void on_event_chunk(void *ctx, const char *json, size_t len) {
  events_t *e = ((slot_t *)ctx)->user;
  if (__atomic_fetch_add(&e->in_cb, 1, __ATOMIC_SEQ_CST) != 0) e->concurrent = 1;
  pthread_mutex_lock(&e->mu);
  clock_gettime(CLOCK_MONOTONIC, &e->last);
  e->chunks++;
  if (strlen(json) != len || json[0] != '[') e->bad++;
  /* {"time":…,"type":"container","action":"start","id":"…","service":"web",…} */
  static const char key[] = "\"type\":\"container\",\"action\":\"";
  for (const char *p = json; (p = strstr(p, key)) != NULL;) {
    p += sizeof key - 1;
    const char *q = strchr(p, '"');
    const char *svc = q ? strstr(q, "\"service\":\"") : NULL;
    const char *svc_end = svc ? strchr(svc + 11, '"') : NULL;
    if (!q || !svc_end || !strstr(q, "\"attributes\":{")) {
      e->bad++;
      break;
    }
    e->len += (size_t)snprintf(e->seq + e->len, sizeof e->seq - e->len, "%.*s:%.*s ", (int)(svc_end - svc - 11), svc + 11,
                               (int)(q - p), p);
    if (e->len >= sizeof e->seq) e->len = sizeof e->seq - 1;
    e->events++;
  }
  pthread_mutex_unlock(&e->mu);
  __atomic_fetch_sub(&e->in_cb, 1, __ATOMIC_SEQ_CST);
}

/* Waits (up to ms) until the events after offset hold word; 1 if they do. */
static int events_wait(events_t *e, size_t offset, const char *word, int ms) {
  for (int waited = 0;; waited += 10) {
    pthread_mutex_lock(&e->mu);
    int found = strstr(e->seq + offset, word) != NULL;
    pthread_mutex_unlock(&e->mu);
    if (found) return 1;
    if (waited >= ms) return 0;
    struct timespec d = {0, 10 * 1000 * 1000};
    nanosleep(&d, NULL); /* polling a state, not a synchronisation */
  }
}

/* Whether words (space-separated) appear in s in this order. */
static int in_order(const char *s, const char *const *words, int n) {
  for (int i = 0; i < n; i++) {
    s = strstr(s, words[i]);
    if (!s) return 0;
    s += strlen(words[i]);
  }
  return 1;
}

/* Whether the stream already ended because the runtime cannot stream
 * events (nerdctl: its events carry no labels to find a stack's by). */
static int events_unsupported(slot_t *s) {
  pthread_mutex_lock(&s->mu);
  int u = s->fired && s->json && strstr(s->json, "\"unsupported\":true") != NULL;
  pthread_mutex_unlock(&s->mu);
  return u;
}

/* A stack's events through a stop, a start and a down: in order, in docker
 * compose's shape; a cancel ends the stream with the one final callback. */
static void test_compose_events(int fake) {
  char spec[1024];
  snprintf(spec, sizeof spec,
           "{\"name\":\"perrytest-events-%d\",\"services\":{"
           "\"db\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"stop_signal\":\"SIGKILL\",\"labels\":{\"perry.test\":\"1\"}},"
           "\"web\":{\"image\":\"%s\",\"command\":[\"sleep\",\"300\"],\"stop_signal\":\"SIGKILL\",\"labels\":{\"perry.test\":\"1\"},"
           "\"depends_on\":[\"db\"]}}}",
           (int)getpid(), IMAGE, IMAGE);
  int64_t h = up_handle(spec, "composeUp of the events stack");
  if (h <= 0) return;
  events_t e = {.len = 0};
  pthread_mutex_init(&e.mu, NULL);
  slot_t *s = slot_new();
  s->user = &e;
  check(js_container_compose_events(h, NULL, on_event_chunk, on_slot, s) == 0, "compose events is scheduled", NULL);
  /* The stream reports what happens once the runtime watches, which the
   * host cannot see: restart web until the stream reports its start. */
  call_t c;
  int primed = 0;
  for (int i = 0; i < 30 && !primed && !events_unsupported(s); i++) {
    ASYNC(c, js_container_compose_restart, h, "[\"web\"]");
    call_free(&c);
    primed = events_wait(&e, 0, "web:start ", 2000);
  }
  if (!primed && events_unsupported(s)) {
    call_init(&c);
    slot_wait(s, &c);
    printf("skip: compose events: the runtime cannot stream them (%s)\n", c.json);
    call_free(&c);
    ASYNC(c, js_container_compose_down, h, 1);
    expect_ok(&c, "down of the events stack");
    call_free(&c);
    return;
  }
  check(primed, "the events stream reports a restart", e.seq);
  pthread_mutex_lock(&e.mu);
  size_t from = e.len;
  pthread_mutex_unlock(&e.mu);

  /* Latency: from the stop's return to its die event's chunk. */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ASYNC(c, js_container_compose_stop, h, "[\"web\"]");
  expect_ok(&c, "stop web");
  call_free(&c);
  check(events_wait(&e, from, "web:die ", 30000), "web's die is reported", e.seq);
  pthread_mutex_lock(&e.mu);
  double lat = ms_between(t0, e.last);
  pthread_mutex_unlock(&e.mu);
  printf("compose events (%s): die of a stopped service reported %.1f ms after the stop call began\n", fake ? "fake" : "engine", lat);
  ASYNC(c, js_container_compose_start, h, NULL);
  expect_ok(&c, "start web again");
  call_free(&c);
  check(events_wait(&e, from, "web:start ", 30000), "web's start is reported", e.seq);
  ASYNC(c, js_container_compose_down, h, 1);
  expect_ok(&c, "down of the events stack");
  call_free(&c);
  check(events_wait(&e, from, "web:destroy ", 30000) && events_wait(&e, from, "db:destroy ", 30000), "both destroys are reported",
        e.seq);
  js_container_cancel(s);
  call_init(&c);
  slot_wait(s, &c);
  expect_err(&c, "Cancelled", 499, NULL, "cancelled events answer Cancelled, once");
  call_free(&c);
  pthread_mutex_lock(&e.mu);
  long chunks = e.chunks;
  const char *web[] = {"web:die ", "web:start ", "web:destroy "};
  const char *db[] = {"db:destroy "};
  check(in_order(e.seq + from, web, 3) && in_order(e.seq + from, db, 1), "the events come in order", e.seq + from);
  check(e.bad == 0 && !e.concurrent, "every chunk is a JSON array of events in docker compose's shape, one at a time", NULL);
  pthread_mutex_unlock(&e.mu);
  ASYNC(c, js_container_list, "false"); /* a round trip: no chunk after the final callback */
  call_free(&c);
  check(e.chunks == chunks, "no event after the final callback", NULL);
  ASYNC(c, js_container_compose_events, h, NULL, on_event_chunk);
  expect_err(&c, "NotFound", 404, NULL, "events of a stack that is down are NotFound");
  call_free(&c);
  check(js_container_compose_events(h, NULL, NULL, on_slot, NULL) < 0, "a NULL chunk callback is refused", NULL);
}

/* ---- stress: 16 threads x 1000 calls --------------------------------- */

enum { THREADS = 16, CALLS = 1000 };

static void *stress_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < CALLS; i++) {
    call_t c;
    call_init(&c);
    int32_t rc = (i % 2) ? js_container_inspect("no-such", on_complete, &c)
                         : js_container_list("false", on_complete, &c);
    if (rc != 0) {
      __atomic_fetch_add(&g_failed, 1, __ATOMIC_SEQ_CST);
    } else {
      call_wait(&c);
      if (c.done != 1) __atomic_fetch_add(&g_failed, 1, __ATOMIC_SEQ_CST);
    }
    call_free(&c);
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

static void stress_round(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, stress_worker, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
}

static void test_stress(void) {
  stress_round(); /* warm-up: the Go runtime grows its heap and threads */
  long before = rss_kb();
  long cb_before = atomic_load(&g_callbacks);
  for (int r = 0; r < 3; r++) stress_round();
  long fired = atomic_load(&g_callbacks) - cb_before;
  long after = rss_kb();
  char msg[128];
  snprintf(msg, sizeof msg, "%ld callbacks for %d calls", fired, 3 * THREADS * CALLS);
  check(fired == 3L * THREADS * CALLS, "every callback fires exactly once under 16 threads", msg);
  snprintf(msg, sizeof msg, "RSS %ld kB -> %ld kB", before, after);
  printf("stress: %s\n", msg);
  check(after - before < 32 * 1024, "memory stays flat over 48000 calls (< 32 MiB growth)", msg);
}

static void test_shutdown(void) {
  char *r = js_container_shutdown(-1, 0);
  expect_sync_err(r, "InvalidArgument", "shutdown(-1)");
  r = js_container_shutdown(5000, 1);
  expect_sync_ok(r, "shutdown");
  call_t c;
  ASYNC(c, js_container_inspect, "x");
  expect_err(&c, "Cancelled", 499, "shut down", "calls after shutdown are Cancelled");
  call_free(&c);
  r = js_container_shutdown(1000, 1);
  expect_sync_ok(r, "second shutdown is harmless");
}

/* A failed detection is not kept, and a library host's NoBackendFound gives
 * the install hint, not the installer prompt's switch. The library reads
 * its environment when it loads, so the test re-runs this program with no
 * runtime in reach (empty PATH, DOCKER_HOST on a socket that does not exist
 * yet), then makes the engine appear by linking that socket to the real one. */
static int detect_retry(char **argv) {
  const char *dir = getenv("PERRY_DETECT_DIR");
  if (!dir) {
    char tmpl[] = "/tmp/perry-detect-XXXXXX";
    if (!mkdtemp(tmpl)) return perror("mkdtemp"), 1;
    char bin[64], host[96];
    snprintf(bin, sizeof bin, "%s/bin", tmpl);
    snprintf(host, sizeof host, "unix://%s/docker.sock", tmpl);
    if (mkdir(bin, 0700) != 0) return perror("mkdir"), 1;
    setenv("PERRY_DETECT_DIR", tmpl, 1);
    setenv("PATH", bin, 1);
    setenv("HOME", tmpl, 1);
    setenv("DOCKER_HOST", host, 1);
    unsetenv("PERRY_CONTAINER_BACKEND");
    unsetenv("DOCKER_CONTEXT");
    unsetenv("CONTAINER_HOST");
    unsetenv("XDG_RUNTIME_DIR");
    execv("/proc/self/exe", argv);
    return perror("execv"), 1;
  }
  char *r = js_container_getBackend();
  check(r && strstr(r, "\"kind\":\"NoBackendFound\"") && strstr(r, "\"code\":503"), "no runtime in reach: NoBackendFound", r);
  check(r && strstr(r, "Hint:") != NULL, "NoBackendFound gives the install hint", r);
  check(r && strstr(r, "PERRY_NO_INSTALL_PROMPT") == NULL, "NoBackendFound does not mention a prompt the library never shows", r);
  js_container_free(r);
  char sock[96], bin[64];
  snprintf(sock, sizeof sock, "%s/docker.sock", dir);
  snprintf(bin, sizeof bin, "%s/bin", dir);
  check(symlink("/var/run/docker.sock", sock) == 0, "the engine appears (socket linked)", NULL);
  r = js_container_getBackend();
  check(r && strstr(r, "\"ok\":true") && strstr(r, "\"name\":\"docker\""), "after the engine appears, detection finds it: the failure was not kept", r);
  js_container_free(r);
  unlink(sock);
  rmdir(bin);
  rmdir(dir);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fake";
  if (strcmp(mode, "detect-retry") == 0) return detect_retry(argv);
  int fake = strcmp(mode, "fake") == 0;
  if (fake) setenv("PERRY_CONTAINER_BACKEND", "fake", 1);
  js_container_module_init();
  if (!fake) {
    /* podman and nerdctl are optional here (tests/runtimes/install.sh
     * installs them): one that is absent is a skip, named with the reason
     * (CTest's SKIP_RETURN_CODE); Docker must answer. */
    const char *asked = getenv("PERRY_CONTAINER_BACKEND");
    char *b = js_container_getBackend();
    int optional = asked && (strcmp(asked, "podman") == 0 || strcmp(asked, "nerdctl") == 0);
    if (optional && b && (strstr(b, "\"kind\":\"NoBackendFound\"") || strstr(b, "\"kind\":\"BackendNotAvailable\""))) {
      printf("SKIP: %s is not available here (bash tests/runtimes/install.sh installs it): %s\n", asked, b);
      js_container_free(b);
      return 77;
    }
    js_container_free(b);
  }
  test_backend(fake);
  if (fake) {
    /* The fake starts empty: pull the test image into it first. */
    call_t c;
    ASYNC(c, js_container_pullImage, IMAGE);
    expect_ok(&c, "pull into the fake");
    call_free(&c);
  }
  test_lifecycle();
  test_create_start();
  test_bad_arguments();
  if (!fake) {
    test_compose(0);
    test_workloads();
    test_cancel(3); /* on the engine: the rollback removes real containers */
    test_follow(0);
    test_graph_follow(0);
    test_compose_events(0);
  }
  if (fake) {
    test_images();
    test_handles();
    test_feature_entry_points();
    test_compose(1);
    test_workloads();
    test_same_project_same_handle();
    test_fake_simulation();
    test_error_messages();
    test_cancel(15);
    test_reads_during_up();
    test_follow(1);
    test_graph_follow(1);
    test_compose_events(1);
    test_shutdown_reinit();
    test_stress();
  }
  test_shutdown();
  slots_verify();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
