/*
 * perry_model.c: see perry_model.h. Perry's runtime, as modelled here:
 *  - strings: js_string_from_bytes allocates in the calling thread's
 *    arena (perry-runtime string/alloc.rs; the arenas are thread-local,
 *    so a string built off the main thread corrupts memory: abort here);
 *  - native-async tokens (promise/native_async.rs, perry-ffi): exactly
 *    once, thread-checked with the main-thread flag; a live token keeps the
 *    loop alive;
 *  - js_notify_main_thread wakes the loop, which runs the registered aux
 *    pumps on the main thread (js_run_stdlib_pump);
 *  - the collector may move strings on any allocation: here every argument
 *    string is overwritten with garbage at the next allocation.
 */
#define _GNU_SOURCE
#include "perry_model.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct Promise {
  int state; /* 0 pending, 1 resolved, 2 rejected */
  char *string; /* the value when it is a string (copied: JS holds it) */
};

struct PerryNativeAsync {
  Promise promise;
  uint32_t flags;
  int completed;
};

static pthread_t main_thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int notified;
static int64_t live;
static int32_t (*pumps[8])(void);
static int n_pumps;

/* Argument strings not yet moved by an allocation. */
static StringHeader *args[64];
static int n_args;

static void die(const char *rule) {
  fprintf(stderr, "perry model: %s\n", rule);
  abort();
}

static int on_main(void) { return pthread_equal(pthread_self(), main_thread); }

/* Every allocation may move the strings a call received: they read as garbage. */
static void allocation(void) {
  for (int i = 0; i < n_args; i++) memset(args[i] + 1, 0xDB, args[i]->byte_len);
  n_args = 0;
}

void model_init(void) { main_thread = pthread_self(); }

static StringHeader *new_string(const uint8_t *data, uint32_t len) {
  StringHeader *s = malloc(sizeof *s + len);
  if (s == NULL) die("out of memory");
  memset(s, 0, sizeof *s);
  s->byte_len = s->capacity = s->utf16_len = len;
  memcpy(s + 1, data, len);
  return s;
}

StringHeader *model_arg(const char *s) { return model_arg_bytes(s, (uint32_t)strlen(s)); }

StringHeader *model_arg_bytes(const char *s, uint32_t len) {
  StringHeader *h = new_string((const uint8_t *)s, len);
  if (n_args == 64) die("too many argument strings");
  args[n_args++] = h;
  return h;
}

StringHeader *js_string_from_bytes(const uint8_t *data, uint32_t len) {
  if (!on_main()) die("a JS string was built off the main thread");
  allocation();
  return new_string(data, len);
}

PerryNativeAsync *perry_ffi_native_async_new(uint32_t flags) {
  if (!on_main()) die("a native-async token was created off the main thread");
  allocation();
  PerryNativeAsync *t = calloc(1, sizeof *t);
  if (t == NULL) die("out of memory");
  t->flags = flags;
  pthread_mutex_lock(&mu);
  live++;
  pthread_mutex_unlock(&mu);
  return t;
}

Promise *perry_ffi_native_async_promise(PerryNativeAsync *t) { return &t->promise; }

static int32_t complete(PerryNativeAsync *t, uint64_t bits, int state) {
  if (t == NULL) return PERRY_NATIVE_ASYNC_INVALID;
  if ((t->flags & PERRY_NATIVE_ASYNC_MAIN_THREAD) && !on_main()) die("a main-thread token was completed off the main thread");
  if (t->completed) die("a promise was settled twice");
  t->completed = 1;
  if ((bits & ~PERRY_POINTER_MASK) == PERRY_STRING_TAG) {
    const StringHeader *s = (const StringHeader *)(uintptr_t)(bits & PERRY_POINTER_MASK);
    t->promise.string = strndup((const char *)(s + 1), s->byte_len);
  }
  t->promise.state = state;
  pthread_mutex_lock(&mu);
  live--;
  pthread_mutex_unlock(&mu);
  return PERRY_NATIVE_ASYNC_OK;
}

int32_t perry_ffi_native_async_resolve_bits(PerryNativeAsync *t, uint64_t bits) { return complete(t, bits, 1); }
int32_t perry_ffi_native_async_reject_bits(PerryNativeAsync *t, uint64_t bits) { return complete(t, bits, 2); }

void js_notify_main_thread(void) {
  pthread_mutex_lock(&mu);
  notified = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&mu);
}

void js_register_aux_pump(int32_t (*pump)(void)) {
  if (!on_main()) die("a pump was registered off the main thread");
  if (n_pumps == 8) die("too many pumps");
  pumps[n_pumps++] = pump;
}

void model_run_loop(int timeout_s) {
  if (!on_main()) die("the loop runs on the main thread");
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_s;
  for (;;) {
    for (int i = 0; i < n_pumps; i++) pumps[i]();
    pthread_mutex_lock(&mu);
    if (live == 0) {
      pthread_mutex_unlock(&mu);
      return; /* nothing keeps the loop alive: the program ends */
    }
    while (!notified) {
      if (pthread_cond_timedwait(&wake, &mu, &deadline) == ETIMEDOUT) die("the loop waited too long: a token was never completed");
    }
    notified = 0;
    pthread_mutex_unlock(&mu);
  }
}

int model_promise_state(const Promise *p) { return p->state; }
const char *model_promise_string(const Promise *p) { return p->string; }

int64_t model_live_tokens(void) {
  pthread_mutex_lock(&mu);
  int64_t n = live;
  pthread_mutex_unlock(&mu);
  return n;
}
