/*
 * A host statically linked against libperrycontainer.a: run -> inspect ->
 * logs -> stop -> remove over the fake backend (PERRY_CONTAINER_BACKEND=fake).
 */
#include "common.h"

static int failed;

static call_t *go(call_t *c, const char *what) {
  call_wait(c);
  int ok = c->done == 1 && c->status == 0 && strncmp(c->json, "{\"ok\":true", 10) == 0;
  if (!ok) {
    fprintf(stderr, "FAIL: %s: %s\n", what, c->json);
    failed++;
  }
  return c;
}

int main(void) {
  call_t c;
  int n = 0;
  call_init(&c);
  js_container_run("{\"image\":\"perry-test/busybox:latest\",\"cmd\":[\"sh\",\"-c\",\"echo static; sleep 60\"]}", on_complete, &c);
  char *id = json_str(go(&c, "run")->json, "id");
  call_free(&c);
  n++;
  if (!id) return 1;
  call_init(&c);
  js_container_inspect(id, on_complete, &c);
  if (!strstr(go(&c, "inspect")->json, "\"state\":\"running\"")) failed++;
  call_free(&c);
  n++;
  call_init(&c);
  js_container_logs(id, NULL, on_complete, &c);
  if (!strstr(go(&c, "logs")->json, "static")) failed++;
  call_free(&c);
  n++;
  call_init(&c);
  js_container_stop(id, "0", on_complete, &c);
  go(&c, "stop");
  call_free(&c);
  n++;
  call_init(&c);
  js_container_remove(id, NULL, on_complete, &c);
  go(&c, "remove");
  call_free(&c);
  n++;
  free(id);
  char *r = js_container_shutdown(5000, 1);
  js_container_free(r);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed ? 1 : 0;
}
