/*
 * flows.c: the adapter's flows, driven as a compiled Perry program would
 * drive them (StringHeader arguments, i64 integers, a Promise* back, the
 * event loop run until no token is live), over the model of Perry's
 * runtime (perry_model.c) and the real library: run, inspect, compose up
 * and down, a workload graph, cancel, bad input, 1,000 calls at once.
 *
 * Usage: flows fake|engine (PERRY_CONTAINER_BACKEND selects the backend);
 * flows leave-up brings a stack up and ends without bringing it down (the
 * adapter's exit handler must tear it down; run.sh checks the engine).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perry_model.h"

int64_t perryc_call_async(int64_t op, int64_t handle, int64_t flag, int64_t present, const StringHeader *s1,
                          const StringHeader *s2, const StringHeader *s3, const StringHeader *s4, int64_t call_id);
StringHeader *perryc_call_sync(int64_t op, int64_t handle, int64_t present, const StringHeader *s1,
                               const StringHeader *s2);
void perryc_cancel(int64_t call_id);
int64_t perryc_pending(void);
StringHeader *perryc_ops(void);
StringHeader *perryc_shutdown(int64_t timeout_ms, int64_t teardown);

static int passed, failed;
static char *ops_json;

static void check(int cond, const char *what, const char *got) {
  if (cond) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL: %s: %s\n", what, got ? got : "(null)");
  }
}

static char *copy_string(const StringHeader *s) { return strndup((const char *)(s + 1), s->byte_len); }

/* The index of a name in the "async" or "sync" list of perryc_ops(). */
static int64_t op(const char *list, const char *name) {
  const char *p = strstr(ops_json, list);
  int64_t i = 0;
  for (p = strchr(p, '['); p != NULL && *p != ']'; i++) {
    const char *q = strchr(p, '"'), *e = strchr(q + 1, '"');
    if ((size_t)(e - q - 1) == strlen(name) && strncmp(q + 1, name, strlen(name)) == 0) return i;
    p = e + 1;
  }
  fprintf(stderr, "no op %s\n", name);
  exit(2);
}

/* Starts an asynchronous call; NULL strings are absent. */
static Promise *start(const char *name, int64_t h, int64_t flag, const char *a, const char *b, const char *c,
                      const char *d, int64_t call_id) {
  const char *in[4] = {a, b, c, d};
  StringHeader *s[4];
  int64_t present = 0;
  for (int i = 0; i < 4; i++) {
    s[i] = model_arg(in[i] ? in[i] : "");
    if (in[i]) present |= 1 << i;
  }
  return (Promise *)(uintptr_t)perryc_call_async(op("\"async\"", name), h, flag, present, s[0], s[1], s[2], s[3], call_id);
}

/* Runs the loop until every call settled; the promise's envelope. */
static const char *await_all(Promise *p) {
  model_run_loop(240);
  return model_promise_state(p) == 1 ? model_promise_string(p) : NULL;
}

static const char *call(const char *name, int64_t h, int64_t flag, const char *a, const char *b, const char *c,
                        const char *d) {
  return await_all(start(name, h, flag, a, b, c, d, 0));
}

static char *call_sync(const char *name, int64_t h, const char *a, const char *b) {
  StringHeader *sa = model_arg(a ? a : ""), *sb = model_arg(b ? b : "");
  return copy_string(perryc_call_sync(op("\"sync\"", name), h, (a ? 1 : 0) | (b ? 2 : 0), sa, sb));
}

static int ok(const char *env) { return env != NULL && strncmp(env, "{\"ok\":true", 10) == 0; }

/* The value of "key":"…" in a JSON text (first occurrence), malloc'd. */
static char *field(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = json ? strstr(json, pat) : NULL;
  if (p == NULL) return NULL;
  p += strlen(pat);
  return strndup(p, (size_t)(strchr(p, '"') - p));
}

static int64_t handle_of(const char *json) {
  const char *p = json ? strstr(json, "\"handle\":") : NULL;
  return p ? strtoll(p + 9, NULL, 10) : 0;
}

static const char *image = "perry-test/busybox:latest";

int main(int argc, char **argv) {
  int fake = argc > 1 && strcmp(argv[1], "fake") == 0;
  model_init();
  ops_json = copy_string(perryc_ops());
  if (argc > 1 && strcmp(argv[1], "leave-up") == 0) {
    const char *left = call("js_container_composeUp", 0, 0,
                            "{\"name\":\"perry-adapter-leave-up\",\"services\":{\"a\":{\"image\":\"perry-test/busybox:latest\","
                            "\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"}}}}",
                            NULL, NULL, NULL);
    printf("left up: %s\n", ok(left) ? "yes" : left);
    return ok(left) ? 0 : 1;
  }
  check(strstr(ops_json, "\"js_container_run\"") != NULL, "perryc_ops lists the functions", ops_json);

  if (fake) check(ok(call("js_container_pullImage", 0, 0, image, NULL, NULL, NULL)), "pull into the fake", NULL);

  /* run, inspect, logs, remove */
  const char *r = call("js_container_run", 0, 0,
                       "{\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sh\",\"-c\",\"echo from perry; sleep 300\"],"
                       "\"labels\":{\"perry.test\":\"1\"}}",
                       NULL, NULL, NULL);
  check(ok(r), "run", r);
  char *id = field(r, "id");
  const char *in = call("js_container_inspect", 0, 0, id, NULL, NULL, NULL);
  check(ok(in) && strstr(in, "\"state\":\"running\"") != NULL, "inspect shows running", in);

  /* cancel: a wait in flight, cancelled by its call id */
  Promise *w = start("js_container_wait", 0, 0, id, NULL, NULL, NULL, 77);
  perryc_cancel(77);
  const char *wr = await_all(w);
  check(wr != NULL && strstr(wr, "\"kind\":\"Cancelled\"") != NULL, "a cancelled wait settles with Cancelled", wr);
  perryc_cancel(77); /* settled: nothing to cancel */
  in = call("js_container_inspect", 0, 0, id, NULL, NULL, NULL);
  check(ok(in) && strstr(in, "\"state\":\"running\"") != NULL, "cancelling wait leaves the container running", in);
  const char *rm = call("js_container_remove", 0, 0, id, "true", NULL, NULL);
  check(ok(rm), "remove", rm);
  in = call("js_container_inspect", 0, 0, id, NULL, NULL, NULL);
  check(in != NULL && strstr(in, "\"kind\":\"NotFound\"") != NULL, "inspect after remove is NotFound", in);

  /* bad input */
  const char *bad = call("js_container_run", 0, 0, "{\"image\":5}", NULL, NULL, NULL);
  check(bad != NULL && strstr(bad, "\"argument\":\"spec\"") != NULL, "a bad spec is InvalidArgument naming it", bad);
  StringHeader *nul = model_arg_bytes("abc\0def", 7), *e = model_arg("");
  const char *cut = await_all(
      (Promise *)(uintptr_t)perryc_call_async(op("\"async\"", "js_container_remove"), 0, 0, 1, nul, e, e, e, 0));
  check(cut != NULL && strstr(cut, "contains a NUL") != NULL, "a string with a NUL inside is refused, not cut short", cut);
  e = model_arg("");
  const char *badop = await_all((Promise *)(uintptr_t)perryc_call_async(9999, 0, 0, 0, e, e, e, e, 0));
  check(badop != NULL && strstr(badop, "\"argument\":\"op\"") != NULL, "an unknown op is InvalidArgument", badop);

  /* compose up, status, down */
  const char *up = call("js_container_composeUp", 0, 0,
                        "{\"name\":\"perry-adapter-flow\",\"services\":{"
                        "\"db\":{\"image\":\"perry-test/busybox:latest\",\"command\":[\"sleep\",\"300\"],\"labels\":{\"perry.test\":\"1\"}},"
                        "\"api\":{\"image\":\"perry-test/busybox:latest\",\"command\":[\"sleep\",\"300\"],\"depends_on\":[\"db\"],"
                        "\"labels\":{\"perry.test\":\"1\"}}}}",
                        NULL, NULL, NULL);
  check(ok(up), "compose up", up);
  int64_t stack = handle_of(up);
  const char *st = call("js_container_compose_status", stack, 0, NULL, NULL, NULL, NULL);
  check(ok(st) && strstr(st, "\"healthy\":true") != NULL, "compose status healthy", st);
  char *g = call_sync("js_container_compose_graph", stack, NULL, NULL);
  check(ok(g) && strstr(g, "\"nodes\":[\"db\",\"api\"]") != NULL, "compose graph (sync)", g);
  const char *down = call("js_container_compose_down", stack, 0, NULL, NULL, NULL, NULL);
  check(ok(down), "compose down", down);
  down = call("js_container_compose_down", stack, 0, NULL, NULL, NULL, NULL);
  check(down != NULL && strstr(down, "\"kind\":\"NotFound\"") != NULL, "a second down is NotFound", down);

  /* a workload graph with a reference */
  char *graph = call_sync("js_workload_graph", 0, "perry-adapter-graph",
                          "{\"nodes\":{"
                          "\"db\":{\"id\":\"db\",\"name\":\"db\",\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sleep\",\"300\"],"
                          "\"labels\":{\"perry.test\":\"1\"},\"runtime\":{\"type\":\"auto\"},\"policy\":{\"tier\":\"default\"}},"
                          "\"api\":{\"id\":\"api\",\"name\":\"api\",\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sleep\",\"300\"],"
                          "\"labels\":{\"perry.test\":\"1\"},\"dependsOn\":[\"db\"],\"env\":{\"DB\":{\"nodeId\":\"db\",\"projection\":\"ip\"}},"
                          "\"runtime\":{\"type\":\"auto\"},\"policy\":{\"tier\":\"default\"}}}}");
  check(ok(graph), "workload graph (sync)", graph);
  char *gj = strndup(graph + strlen("{\"ok\":true,\"result\":"), strlen(graph) - strlen("{\"ok\":true,\"result\":") - 1);
  const char *run = call("js_workload_runGraph", 0, 0, gj, "{\"onFailure\":\"rollback-all\"}", NULL, NULL);
  check(ok(run) && strstr(run, "\"DB\":\"") != NULL, "runGraph resolves the reference", run);
  int64_t gh = handle_of(run);
  const char *gs = call("js_workload_handle_status", gh, 0, NULL, NULL, NULL, NULL);
  check(ok(gs) && strstr(gs, "\"healthy\":true") != NULL, "graph status healthy", gs);
  const char *gd = call("js_workload_handle_down", gh, 0, NULL, NULL, NULL, NULL);
  check(ok(gd), "graph down", gd);

  /* 1,000 calls at once: each settles once (the model aborts otherwise) */
  enum { N = 1000 };
  static Promise *many[N];
  for (int i = 0; i < N; i++) many[i] = start("js_container_list", 0, 0, NULL, NULL, NULL, NULL, 0);
  check(perryc_pending() == N, "1,000 calls in flight", NULL);
  model_run_loop(240);
  int settled = 0;
  for (int i = 0; i < N; i++) settled += model_promise_state(many[i]) == 1 && ok(model_promise_string(many[i]));
  check(settled == N, "1,000 calls settled ok", NULL);
  check(perryc_pending() == 0 && model_live_tokens() == 0, "nothing in flight, no live token", NULL);

  char *sd = copy_string(perryc_shutdown(10000, 1));
  check(ok(sd), "shutdown", sd);
  printf("perry adapter flows (%s): %d passed, %d failed\n", fake ? "fake" : "engine", passed, failed);
  return failed ? 1 : 0;
}
