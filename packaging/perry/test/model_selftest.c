/*
 * model_selftest.c: the model enforces Perry's rules. Each case breaks one;
 * run.sh expects the cases that break a rule to abort (exit by SIGABRT) and
 * the others to exit 0.
 *   offthread  a string built off the main thread         -> abort
 *   twice      a promise settled twice                     -> abort
 *   moved      an argument read after an allocation        -> garbage (exit 0)
 *   ends       the loop ends once no token is live         -> exit 0
 *   stuck      a token never completed                     -> abort (loop timeout)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "perry_model.h"

static void *off_main(void *arg) {
  (void)arg;
  js_string_from_bytes((const uint8_t *)"x", 1);
  return NULL;
}

int main(int argc, char **argv) {
  model_init();
  const char *c = argc > 1 ? argv[1] : "";
  if (strcmp(c, "offthread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, off_main, NULL);
    pthread_join(t, NULL);
  } else if (strcmp(c, "twice") == 0) {
    PerryNativeAsync *t = perry_ffi_native_async_new(0);
    perry_ffi_native_async_resolve_bits(t, 0);
    perry_ffi_native_async_resolve_bits(t, 0);
  } else if (strcmp(c, "moved") == 0) {
    StringHeader *s = model_arg("hello");
    perry_ffi_native_async_new(0);
    return memcmp(s + 1, "hello", 5) != 0 ? 0 : 1;
  } else if (strcmp(c, "ends") == 0) {
    PerryNativeAsync *t = perry_ffi_native_async_new(0);
    perry_ffi_native_async_resolve_bits(t, 0);
    model_run_loop(5);
    return model_live_tokens() == 0 ? 0 : 1;
  } else if (strcmp(c, "stuck") == 0) {
    perry_ffi_native_async_new(0);
    model_run_loop(1);
  } else {
    fprintf(stderr, "usage: model_selftest offthread|twice|moved|ends|stuck\n");
    return 2;
  }
  return 0;
}
