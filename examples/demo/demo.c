/*
 * The demo: a C program drives a compose stack through libperrycontainer.
 *   up (an init job seeds a volume; a health-gated API; a web server on a
 *   published port) -> status -> graph -> ps -> an HTTP request -> logs -> down
 *
 * Usage: demo path/to/compose.yaml [port]
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "perry_container.h"

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  int32_t status;
  char *json;
} result_t;

static void complete(void *ctx, int32_t status, const char *json, size_t len) {
  result_t *r = ctx;
  pthread_mutex_lock(&r->mu);
  r->status = status;
  r->json = strndup(json, len);
  r->done = 1;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void await(result_t *r) {
  pthread_mutex_lock(&r->mu);
  while (!r->done) pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
}

#define CALL(r, fn, ...)                                                   \
  do {                                                                     \
    memset(&(r), 0, sizeof(r));                                            \
    pthread_mutex_init(&(r).mu, NULL);                                     \
    pthread_cond_init(&(r).cv, NULL);                                      \
    if (fn(__VA_ARGS__, complete, &(r)) != 0) {                            \
      fprintf(stderr, #fn " was not scheduled\n");                        \
      exit(1);                                                             \
    }                                                                      \
    await(&(r));                                                           \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A plain HTTP GET on 127.0.0.1:port; returns the response or NULL. */
static char *http_get(int port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return NULL;
  }
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
  if (write(fd, req, (size_t)n) != n) {
    close(fd);
    return NULL;
  }
  static char buf[8192];
  size_t got = 0;
  ssize_t k;
  while (got < sizeof buf - 1 && (k = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)k;
  buf[got] = 0;
  close(fd);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s compose.yaml [port]\n", argv[0]);
    return 2;
  }
  int port = argc > 2 ? atoi(argv[2]) : 18080;
  result_t r;
  printf("perry-container %s: bringing up %s\n", js_container_abi_version(), argv[1]);
  char *backend = js_container_getBackend();
  printf("backend: %s\n", backend);
  js_container_free(backend);

  double t0 = now();
  CALL(r, js_compose_up, argv[1]);
  if (r.status != 0) {
    fprintf(stderr, "up failed: %s\n", r.json);
    return 1;
  }
  printf("\nup in %.2f s: %s\n", now() - t0, r.json);
  const char *hp = strstr(r.json, "\"handle\":");
  int64_t h = hp ? strtoll(hp + 9, NULL, 10) : 0;
  free(r.json);

  char *graph = js_compose_graph(h);
  printf("\ngraph: %s\n", graph);
  js_container_free(graph);

  CALL(r, js_compose_status, h);
  printf("\nstatus: %s\n", r.json);
  free(r.json);

  CALL(r, js_compose_ps, h);
  printf("\nps: %.600s%s\n", r.json, strlen(r.json) > 600 ? "…" : "");
  free(r.json);

  int rc = 0;
  /* The web service has no healthcheck, so up returns once it runs; its
   * server may need a moment before it listens. */
  char *resp = NULL;
  for (int i = 0; i < 50; i++) {
    resp = http_get(port, "/");
    if (resp && strstr(resp, "Hello from perry-container")) break;
    usleep(100 * 1000);
  }
  if (resp && strstr(resp, "Hello from perry-container")) {
    const char *body = strstr(resp, "\r\n\r\n");
    printf("\nGET http://127.0.0.1:%d/ -> %s\n", port, body ? body + 4 : resp);
  } else {
    fprintf(stderr, "\nGET http://127.0.0.1:%d/ failed: %s\n", port, resp ? resp : "(no connection)");
    rc = 1;
  }

  CALL(r, js_compose_exec, h, "web", "[\"wget\",\"-q\",\"-O-\",\"http://api:9000/api/status.json\"]", NULL);
  printf("\nweb -> api over the project network: %s\n", r.json);
  free(r.json);

  CALL(r, js_compose_logs, h, "{\"service\":\"seed\"}");
  printf("\nlogs of the init job: %s\n", r.json);
  free(r.json);

  t0 = now();
  CALL(r, js_compose_down, h, 1);
  printf("\ndown in %.2f s: %s\n", now() - t0, r.json);
  if (r.status != 0) rc = 1;
  free(r.json);
  char *s = js_container_shutdown(5000, 1);
  js_container_free(s);
  return rc;
}
