/*
 * perry_container_perry.c: the adapter between a Perry program and the C
 * ABI of libperrycontainer. Perry calls native-library functions with
 * StringHeader* strings and i64 integers and expects a Promise* back; our
 * ABI takes NUL-terminated strings and calls back on a library thread.
 *
 *  - Each argument string is copied out of Perry's heap first, before
 *    anything that may allocate (the collector may move or reuse it).
 *  - Each asynchronous call takes a native-async completion token on the
 *    main thread and passes a job as the library's ctx. The callback, on a
 *    library thread, only copies the JSON into the job, queues it and wakes
 *    the main thread (js_notify_main_thread): no JS value is built there.
 *  - A pump on the main thread builds the envelope string and resolves the
 *    token with it; the TypeScript module parses it.
 *
 * Every symbol carries the prefix perryc_, so none collides with the
 * js_container_* functions Perry's own stdlib exports when its container
 * feature is on.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perry_container.h"
#include "perry_ops.h"
#include "perry_runtime.h"

typedef struct job {
  PerryNativeAsync *token;
  int64_t call_id;            /* the program's id for perryc_cancel, or 0 */
  char *json;                 /* copied on the library thread; NULL if out of memory */
  size_t len;
  struct job *done_next;      /* the completed queue (guarded by done_mu) */
  struct job *prev, *next;    /* the in-flight list (main thread only) */
} job;

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static job *done_head, *done_tail;

/* Main thread only. */
static job *in_flight;
static int64_t n_in_flight;
static int pump_registered;

static const char oom_envelope[] =
    "{\"ok\":false,\"error\":{\"code\":500,\"kind\":\"Internal\",\"message\":\"perry-container: out of memory\"}}";

/* Library thread: copy, queue, wake. */
static void on_complete(void *ctx, int32_t status, const char *json, size_t len) {
  (void)status; /* the envelope says it too */
  job *j = ctx;
  j->json = malloc(len + 1);
  if (j->json != NULL) {
    memcpy(j->json, json, len);
    j->json[len] = '\0';
    j->len = len;
  }
  pthread_mutex_lock(&done_mu);
  j->done_next = NULL;
  if (done_tail != NULL) done_tail->done_next = j;
  else done_head = j;
  done_tail = j;
  pthread_mutex_unlock(&done_mu);
  js_notify_main_thread();
}

/* A Perry string of the bytes, as a NaN-boxed value (main thread only). */
static uint64_t string_value(const char *s, size_t len) {
  return PERRY_STRING_TAG | ((uint64_t)(uintptr_t)js_string_from_bytes((const uint8_t *)s, (uint32_t)len) & PERRY_POINTER_MASK);
}

static void unlink_job(job *j) {
  if (j->prev != NULL) j->prev->next = j->next;
  else in_flight = j->next;
  if (j->next != NULL) j->next->prev = j->prev;
  n_in_flight--;
}

/* Main thread: settle every completed call. */
static int32_t pump(void) {
  pthread_mutex_lock(&done_mu);
  job *j = done_head;
  done_head = done_tail = NULL;
  pthread_mutex_unlock(&done_mu);
  int32_t n = 0;
  while (j != NULL) {
    job *next = j->done_next;
    unlink_job(j);
    if (j->json != NULL) perry_ffi_native_async_resolve_bits(j->token, string_value(j->json, j->len));
    else perry_ffi_native_async_resolve_bits(j->token, string_value(oom_envelope, sizeof oom_envelope - 1));
    free(j->json);
    free(j);
    j = next;
    n++;
  }
  return n;
}

static void at_exit(void) {
  /* Tear down the stacks and graphs the program left up. */
  js_container_free(js_container_shutdown(30000, 1));
}

static void ensure_started(void) {
  if (pump_registered) return;
  pump_registered = 1;
  js_register_aux_pump(pump);
  atexit(at_exit);
  js_container_module_init();
}

/* A NUL-terminated copy of a Perry string argument, or NULL when absent.
 * Returns -1 when out of memory, -2 when the string holds a NUL. */
static int copy_arg(const StringHeader *s, int present, char **out) {
  *out = NULL;
  if (!present || s == NULL) return 0;
  char *c = malloc((size_t)s->byte_len + 1);
  if (c == NULL) return -1;
  memcpy(c, (const char *)(s + 1), s->byte_len);
  c[s->byte_len] = '\0';
  if (strlen(c) != s->byte_len) { /* a NUL inside would cut the C string short */
    free(c);
    return -2;
  }
  *out = c;
  return 0;
}

/* An error envelope naming the argument, as the library words them. */
static int invalid_envelope(char *buf, size_t n, const char *argument, const char *reason) {
  return snprintf(buf, n,
                  "{\"ok\":false,\"error\":{\"code\":400,\"kind\":\"InvalidArgument\","
                  "\"message\":\"invalid argument %s: %s\",\"argument\":\"%s\"}}",
                  argument, reason, argument);
}

/*
 * perryc_call_async(op, handle, flag, present, s1, s2, s3, s4, callId):
 * calls perry_async_ops[op]; bit i of `present` says whether string i+1 is
 * given (absent strings are NULL in C). Returns a Promise* resolving to the
 * envelope. callId (non-zero, unique per call) names it for perryc_cancel.
 */
int64_t perryc_call_async(int64_t op, int64_t handle, int64_t flag, int64_t present, const StringHeader *s1,
                          const StringHeader *s2, const StringHeader *s3, const StringHeader *s4, int64_t call_id) {
  /* Copy the strings before anything allocates in Perry's heap. */
  const StringHeader *in[4] = {s1, s2, s3, s4};
  char *s[4] = {NULL, NULL, NULL, NULL};
  int oom = 0, nul = -1;
  for (int i = 0; i < 4; i++) {
    int rc = copy_arg(in[i], (int)((present >> i) & 1), &s[i]);
    oom |= rc == -1;
    if (rc == -2 && nul < 0) nul = i;
  }

  ensure_started();
  PerryNativeAsync *token = perry_ffi_native_async_new(PERRY_NATIVE_ASYNC_MAIN_THREAD);
  Promise *p = perry_ffi_native_async_promise(token);
  char err[256];
  int errlen = -1;
  job *j = NULL;
  char argname[16];
  if (oom) errlen = snprintf(err, sizeof err, "%s", oom_envelope);
  else if (nul >= 0) {
    snprintf(argname, sizeof argname, "s%d", nul + 1);
    errlen = invalid_envelope(err, sizeof err, argname, "contains a NUL character");
  } else if (op < 0 || (uint64_t)op >= PERRY_N_ASYNC) errlen = invalid_envelope(err, sizeof err, "op", "no such function");
  else if (flag < INT32_MIN || flag > INT32_MAX) errlen = invalid_envelope(err, sizeof err, "flag", "out of range");
  else if ((j = calloc(1, sizeof *j)) == NULL) errlen = snprintf(err, sizeof err, "%s", oom_envelope);
  if (errlen < 0) {
    j->token = token;
    j->call_id = call_id;
    j->next = in_flight;
    if (in_flight != NULL) in_flight->prev = j;
    in_flight = j;
    n_in_flight++;
    if (perry_ops_call_async((uint32_t)op, handle, (int32_t)flag, s, on_complete, j) != 0) {
      unlink_job(j); /* nothing was scheduled: the callback never fires */
      free(j);
      errlen = snprintf(err, sizeof err, "%s",
                        "{\"ok\":false,\"error\":{\"code\":500,\"kind\":\"Internal\",\"message\":"
                        "\"perry-container: the library refused to schedule the call\"}}");
    }
  }
  if (errlen >= 0) perry_ffi_native_async_resolve_bits(token, string_value(err, (size_t)errlen));
  for (int i = 0; i < 4; i++) free(s[i]);
  return (int64_t)(uintptr_t)p;
}

/* perryc_call_sync(op, handle, present, s1, s2): perry_sync_ops[op]'s envelope. */
StringHeader *perryc_call_sync(int64_t op, int64_t handle, int64_t present, const StringHeader *s1,
                               const StringHeader *s2) {
  char *a = NULL, *b = NULL;
  int ra = copy_arg(s1, (int)(present & 1), &a), rb = copy_arg(s2, (int)((present >> 1) & 1), &b);
  ensure_started();
  char err[256];
  char *env = NULL;
  const char *out = err;
  if (ra == -1 || rb == -1) snprintf(err, sizeof err, "%s", oom_envelope);
  else if (ra == -2 || rb == -2) invalid_envelope(err, sizeof err, ra == -2 ? "s1" : "s2", "contains a NUL character");
  else if (op < 0 || (uint64_t)op >= PERRY_N_SYNC) invalid_envelope(err, sizeof err, "op", "no such function");
  else out = env = perry_ops_call_sync((uint32_t)op, handle, a, b);
  free(a);
  free(b);
  if (out == NULL) out = oom_envelope;
  StringHeader *r = js_string_from_bytes((const uint8_t *)out, (uint32_t)strlen(out));
  js_container_free(env);
  return r;
}

/* perryc_cancel(callId): js_container_cancel for the call, if in flight. */
void perryc_cancel(int64_t call_id) {
  if (call_id == 0) return;
  for (job *j = in_flight; j != NULL; j = j->next) {
    if (j->call_id == call_id) js_container_cancel(j);
  }
}

/* perryc_pending(): the calls not yet settled. */
int64_t perryc_pending(void) { return n_in_flight; }

/* perryc_shutdown(timeoutMs, teardown): js_container_shutdown's envelope. */
StringHeader *perryc_shutdown(int64_t timeout_ms, int64_t teardown) {
  int32_t t = timeout_ms < 0 ? -1 : timeout_ms > INT32_MAX ? INT32_MAX : (int32_t)timeout_ms;
  char *env = js_container_shutdown(t, teardown != 0);
  const char *out = env != NULL ? env : oom_envelope;
  StringHeader *r = js_string_from_bytes((const uint8_t *)out, (uint32_t)strlen(out));
  js_container_free(env);
  return r;
}

/* perryc_ops(): {"abiVersion":…,"async":[names…],"sync":[names…]}, the
 * indices perryc_call_async and perryc_call_sync take. */
StringHeader *perryc_ops(void) {
  char buf[4096];
  size_t n = (size_t)snprintf(buf, sizeof buf, "{\"abiVersion\":\"%s\",\"async\":[", js_container_abi_version());
  for (size_t i = 0; i < PERRY_N_ASYNC && n < sizeof buf; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"%s\"", i ? "," : "", perry_async_ops[i].name);
  if (n < sizeof buf) n += (size_t)snprintf(buf + n, sizeof buf - n, "],\"sync\":[");
  for (size_t i = 0; i < PERRY_N_SYNC && n < sizeof buf; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"%s\"", i ? "," : "", perry_sync_ops[i].name);
  if (n < sizeof buf) n += (size_t)snprintf(buf + n, sizeof buf - n, "]}");
  if (n >= sizeof buf) return js_string_from_bytes((const uint8_t *)"{}", 2);
  return js_string_from_bytes((const uint8_t *)buf, (uint32_t)n);
}
