/*
 * dlopen + init time of the shared library, in a fresh process: dlopen,
 * js_container_module_init (starts detection in the background) and the
 * first call into Go (which waits for the Go runtime to be initialised).
 * Prints "dlopen_init_ms X" and "dlopen_ms Y" (dlopen alone).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "libperrycontainer.so";
  double t0 = now_ms();
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  double t1 = now_ms();
  void (*init)(void) = (void (*)(void))dlsym(h, "js_container_module_init");
  char *(*node)(const char *, const char *) = (char *(*)(const char *, const char *))dlsym(h, "js_workload_node");
  void (*fr)(char *) = (void (*)(char *))dlsym(h, "js_container_free");
  if (!init || !node || !fr) {
    fprintf(stderr, "dlsym: %s\n", dlerror());
    return 1;
  }
  init();
  fr(node(NULL, NULL));
  double t2 = now_ms();
  printf("dlopen_ms %.3f\n", t1 - t0);
  printf("dlopen_init_ms %.3f\n", t2 - t0);
  return 0;
}
