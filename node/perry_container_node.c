/*
 * perry_container_node.c: the Node-API addon that lets Node load
 * libperrycontainer.so.
 *
 * The natives take strings and numbers and return the library's JSON
 * envelope; the TypeScript module (js/) parses it. Each asynchronous call
 * creates a promise and passes a heap request as the library's `ctx`. The
 * library calls back on one of its own threads: the callback only copies
 * the JSON into the request and queues it on the environment's
 * threadsafe function; the promise is settled on the JS thread. No JS value
 * is ever touched from a library thread.
 *
 * The threadsafe function is referenced only while a call is in flight, so
 * an idle library never keeps Node's event loop alive.
 *
 * Streams (followed logs) use the same threadsafe function, so a stream's
 * chunks and its completion reach JS in the order the library sent them.
 * Backpressure: the chunk callback copies and queues, then blocks the
 * library's stream thread while the stream has STREAM_WINDOW chunks that JS
 * has not yet consumed (JS calls ack() as its loop takes each one); the
 * library then stops reading, so memory stays bounded end to end. Cancel,
 * shutdown and the environment's teardown release a blocked callback.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perry_container.h"
#include "perry_ops.h"

/* Per environment (the main thread or a worker). It is never freed: a
 * library callback may still arrive after the environment is gone, and it
 * must find `closed` set rather than a freed threadsafe function. */
typedef struct {
  napi_threadsafe_function tsfn;
  pthread_mutex_t mu;
  pthread_cond_t acked; /* with mu: a stream's chunk was consumed or released */
  int closed;           /* guarded by mu: the environment is being torn down */
  int draining;         /* guarded by mu: shutdown is waiting for the library */
  uint32_t in_flight;   /* JS thread only */
} env_state;

/* What the threadsafe function carries: a completion or a stream's chunk. */
enum item_kind { IT_DONE, IT_CHUNK };

typedef struct {
  enum item_kind kind; /* IT_DONE; first, as in chunk_item */
  env_state *st;
  napi_deferred deferred;
  napi_ref token;    /* the cancel token's object while unsettled, or NULL */
  napi_ref on_chunk; /* a stream's JS chunk function while unsettled, or NULL */
  int32_t status;
  char *json; /* copied on the library thread; NULL if out of memory */
  size_t len;
  /* A stream's flow control, guarded by st->mu. */
  uint32_t unacked; /* chunks queued or held by JS and not yet consumed */
  int released;     /* cancelled: drop further chunks, never block */
} request;

typedef struct {
  enum item_kind kind; /* IT_CHUNK */
  request *r;
  char *json;
  size_t len;
} chunk_item;

/* How many chunks (each at most 256 lines) a stream may have between the
 * library and the JS loop: two, so the library reads the next chunk while
 * JS consumes one. */
#define STREAM_WINDOW 2

/* Runs on a library thread: copy, queue, touch no JS. */
static void on_complete(void *ctx, int32_t status, const char *json, size_t len) {
  request *r = ctx;
  r->status = status;
  r->len = len;
  r->json = malloc(len + 1);
  if (r->json != NULL) {
    memcpy(r->json, json, len);
    r->json[len] = '\0';
  }
  env_state *st = r->st;
  pthread_mutex_lock(&st->mu);
  int queued = !st->closed && napi_call_threadsafe_function(st->tsfn, r, napi_tsfn_nonblocking) == napi_ok;
  pthread_mutex_unlock(&st->mu);
  if (!queued) { /* the environment is gone: nobody is waiting */
    free(r->json);
    free(r);
  }
}

/* Ends a request on the JS thread: its cancel token stops naming it (a
 * later cancel(token) does nothing, even once the memory is reused) and the
 * loop is released when nothing else is in flight. */
static void track_done(napi_env env, request *r) {
  if (r->token != NULL) {
    napi_value tok;
    if (napi_get_reference_value(env, r->token, &tok) == napi_ok && tok != NULL) napi_remove_wrap(env, tok, NULL);
    napi_delete_reference(env, r->token);
    r->token = NULL;
  }
  if (r->on_chunk != NULL) {
    napi_delete_reference(env, r->on_chunk);
    r->on_chunk = NULL;
  }
  if (--r->st->in_flight == 0) napi_unref_threadsafe_function(env, r->st->tsfn);
}

/* Runs on a library thread, one chunk at a time per stream: copy, queue,
 * then wait while JS holds a full window (see the file's comment). */
static void on_chunk(void *ctx, const char *json, size_t len) {
  request *r = ctx;
  env_state *st = r->st;
  chunk_item *c = malloc(sizeof *c);
  char *copy = malloc(len + 1);
  if (c == NULL || copy == NULL) { /* dropped; the loop would miss lines, so end it */
    free(c);
    free(copy);
    js_container_cancel(r);
    return;
  }
  memcpy(copy, json, len);
  copy[len] = '\0';
  *c = (chunk_item){IT_CHUNK, r, copy, len};
  pthread_mutex_lock(&st->mu);
  while (!r->released && !st->closed && !st->draining && r->unacked >= STREAM_WINDOW)
    pthread_cond_wait(&st->acked, &st->mu);
  int queued = !r->released && !st->closed &&
               napi_call_threadsafe_function(st->tsfn, c, napi_tsfn_nonblocking) == napi_ok;
  if (queued) r->unacked++;
  int orphaned = st->closed; /* nobody will ever read this stream: end it */
  pthread_mutex_unlock(&st->mu);
  if (!queued) {
    free(copy);
    free(c);
  }
  if (orphaned) js_container_cancel(r);
}

/* Runs on the JS thread: hand a chunk's text to the stream's JS function,
 * unless the stream has been cancelled or has settled. */
static void deliver_chunk(napi_env env, chunk_item *c) {
  request *r = c->r;
  pthread_mutex_lock(&r->st->mu);
  int released = r->released;
  pthread_mutex_unlock(&r->st->mu);
  napi_value fn, text, recv;
  if (!released && r->on_chunk != NULL && napi_get_reference_value(env, r->on_chunk, &fn) == napi_ok && fn != NULL &&
      napi_create_string_utf8(env, c->json, c->len, &text) == napi_ok && napi_get_undefined(env, &recv) == napi_ok) {
    if (napi_call_function(env, recv, fn, 1, &text, NULL) == napi_pending_exception) {
      /* The module's function does not throw; if it did, report it rather
       * than leave the exception to a later, unrelated call. */
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
  }
}

/* Runs on the JS thread: settle the promise with the envelope text, or
 * deliver a stream's chunk. */
static void settle(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  if (*(enum item_kind *)data == IT_CHUNK) {
    chunk_item *c = data;
    if (env != NULL) deliver_chunk(env, c);
    free(c->json);
    free(c);
    return;
  }
  request *r = data;
  if (env != NULL) {
    napi_value v;
    if (r->json != NULL && napi_create_string_utf8(env, r->json, r->len, &v) == napi_ok) {
      napi_resolve_deferred(env, r->deferred, v);
    } else {
      napi_value msg;
      napi_create_string_utf8(env, "perry-container: out of memory copying a result", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &v);
      napi_reject_deferred(env, r->deferred, v);
    }
    track_done(env, r);
  }
  free(r->json);
  free(r);
}

static void on_env_cleanup(void *arg) {
  env_state *st = arg;
  pthread_mutex_lock(&st->mu);
  st->closed = 1;
  pthread_cond_broadcast(&st->acked); /* no JS will consume a blocked stream's chunk */
  pthread_mutex_unlock(&st->mu);
}

/* ---- argument helpers (JS thread) ---- */

/* A string argument, or NULL for null/undefined. The caller frees it. */
static napi_status get_opt_string(napi_env env, napi_value v, char **out) {
  napi_valuetype t;
  *out = NULL;
  napi_status s = napi_typeof(env, v, &t);
  if (s != napi_ok) return s;
  if (t == napi_null || t == napi_undefined) return napi_ok;
  if (t != napi_string) return napi_string_expected;
  size_t n;
  s = napi_get_value_string_utf8(env, v, NULL, 0, &n);
  if (s != napi_ok) return s;
  char *buf = malloc(n + 1);
  if (buf == NULL) return napi_generic_failure;
  s = napi_get_value_string_utf8(env, v, buf, n + 1, &n);
  if (s == napi_ok && strlen(buf) != n) s = napi_invalid_arg; /* a NUL inside would cut the C string short */
  if (s != napi_ok) {
    free(buf);
    return s;
  }
  *out = buf;
  return napi_ok;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* The n optional string arguments at v into s (the caller frees them);
 * on a wrong type, frees what it took and throws. */
static bool get_strings(napi_env env, const napi_value *v, size_t n, char **s) {
  for (size_t i = 0; i < n; i++) {
    if (get_opt_string(env, v[i], &s[i]) != napi_ok) {
      for (size_t j = 0; j < i; j++) free(s[j]);
      throw_type(env, "string arguments must be strings, null or undefined");
      return false;
    }
  }
  return true;
}

/* The library scheduled nothing (its callback will never fire): reject
 * the request's promise and end it. */
static void refused(napi_env env, request *r) {
  napi_value msg, err;
  napi_create_string_utf8(env, "perry-container: the library refused to schedule the call", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, r->deferred, err);
  track_done(env, r);
  free(r);
}

#define MAX_ARGS 8

/* callAsync(op, handle, int, s1, s2, s3, s4[, cancellable]): Promise<string>,
 * or [promise, token] when cancellable is true (token: for cancel()).
 * Unused arguments are ignored; strings may be null. */
static napi_value call_async(napi_env env, napi_callback_info info) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  env_state *st;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&st) != napi_ok) return NULL;
  if (argc < 3) return throw_type(env, "callAsync(op, handle, flag, ...strings)");
  uint32_t op;
  int64_t h;
  int32_t flag;
  if (napi_get_value_uint32(env, argv[0], &op) != napi_ok || op >= PERRY_N_ASYNC) return throw_type(env, "unknown op");
  if (napi_get_value_int64(env, argv[1], &h) != napi_ok) return throw_type(env, "handle must be a number");
  if (napi_get_value_int32(env, argv[2], &flag) != napi_ok) return throw_type(env, "flag must be a number");
  char *s[4] = {NULL, NULL, NULL, NULL};
  if (!get_strings(env, argv + 3, argc - 3 < 4 ? argc - 3 : 4, s)) return NULL;
  request *r = calloc(1, sizeof *r);
  napi_value promise = NULL;
  if (r == NULL) {
    napi_throw_error(env, NULL, "perry-container: out of memory");
    goto out;
  }
  r->st = st;
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    free(r);
    promise = NULL;
    goto out;
  }
  bool cancellable = false;
  if (argc > 7 && napi_get_value_bool(env, argv[7], &cancellable) != napi_ok) cancellable = false;
  napi_value token = NULL;
  if (cancellable) {
    /* An object wrapping the request until it settles; cancel() unwraps it. */
    if (napi_create_object(env, &token) != napi_ok || napi_wrap(env, token, r, NULL, NULL, NULL) != napi_ok ||
        napi_create_reference(env, token, 1, &r->token) != napi_ok) {
      napi_throw_error(env, NULL, "perry-container: cannot create a cancel token");
      free(r);
      promise = NULL;
      goto out;
    }
  }
  /* Counted before the call: the callback may be queued before it returns. */
  if (st->in_flight++ == 0) napi_ref_threadsafe_function(env, st->tsfn);
  int32_t rc = perry_ops_call_async(op, h, flag, s, on_complete, r);
  if (rc != 0) refused(env, r);
  if (promise != NULL && token != NULL) {
    napi_value pair;
    if (napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_set_element(env, pair, 0, promise) != napi_ok ||
        napi_set_element(env, pair, 1, token) != napi_ok)
      pair = NULL;
    promise = pair;
  }
out:
  for (int i = 0; i < 4; i++) free(s[i]);
  return promise;
}

/* The request a token argument names while it is unsettled; NULL once it
 * has settled (the wrap was removed) or when the arguments are wrong (a
 * TypeError is then pending). */
static request *token_arg(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  void *r = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    throw_type(env, usage);
    return NULL;
  }
  if (napi_unwrap(env, argv[0], &r) != napi_ok) return NULL;
  return r;
}

/* cancel(token): js_container_cancel for the call the token names, if it
 * has not settled yet; otherwise nothing. */
static napi_value cancel_call(napi_env env, napi_callback_info info) {
  request *r = token_arg(env, info, "cancel(token)");
  if (r != NULL) {
    /* A stream delivers nothing more, and its chunk callback stops waiting
     * for JS (the library waits for the callback before it can end). */
    pthread_mutex_lock(&r->st->mu);
    r->released = 1;
    pthread_cond_broadcast(&r->st->acked);
    pthread_mutex_unlock(&r->st->mu);
    js_container_cancel(r);
  }
  return NULL;
}

/* ack(token): the stream's JS loop has consumed one chunk; a chunk callback
 * waiting for room may go on. Nothing once the stream has settled. */
static napi_value ack_chunk(napi_env env, napi_callback_info info) {
  request *r = token_arg(env, info, "ack(token)");
  if (r != NULL) {
    pthread_mutex_lock(&r->st->mu);
    if (r->unacked > 0) r->unacked--;
    pthread_cond_broadcast(&r->st->acked);
    pthread_mutex_unlock(&r->st->mu);
  }
  return NULL;
}

/* follow(op, handle, s1, s2, onChunk): [Promise<string>, token]. Starts
 * perry_stream_ops[op]; onChunk(text) gets each chunk's JSON on the JS
 * thread, in order, before the promise settles with the completion's
 * envelope. JS calls ack(token) as it consumes each chunk, and cancel(token)
 * to end the stream. */
static napi_value follow(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  env_state *st;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&st) != napi_ok) return NULL;
  if (argc < 5) return throw_type(env, "follow(op, handle, s1, s2, onChunk)");
  uint32_t op;
  int64_t h;
  napi_valuetype t;
  if (napi_get_value_uint32(env, argv[0], &op) != napi_ok || op >= PERRY_N_STREAM) return throw_type(env, "unknown op");
  if (napi_get_value_int64(env, argv[1], &h) != napi_ok) return throw_type(env, "handle must be a number");
  if (napi_typeof(env, argv[4], &t) != napi_ok || t != napi_function) return throw_type(env, "onChunk must be a function");
  char *s[2] = {NULL, NULL};
  if (!get_strings(env, argv + 2, 2, s)) return NULL;
  napi_value promise = NULL, token = NULL, pair = NULL;
  request *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, NULL, "perry-container: out of memory");
    goto out;
  }
  r->kind = IT_DONE;
  r->st = st;
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    free(r);
    goto out;
  }
  if (napi_create_object(env, &token) != napi_ok || napi_wrap(env, token, r, NULL, NULL, NULL) != napi_ok ||
      napi_create_reference(env, token, 1, &r->token) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &r->on_chunk) != napi_ok) {
    napi_throw_error(env, NULL, "perry-container: cannot create a stream");
    if (token != NULL) napi_remove_wrap(env, token, NULL);
    if (r->token != NULL) napi_delete_reference(env, r->token);
    free(r);
    goto out;
  }
  if (st->in_flight++ == 0) napi_ref_threadsafe_function(env, st->tsfn);
  if (perry_ops_call_stream(op, h, s, on_chunk, on_complete, r) != 0) refused(env, r);
  if (napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_set_element(env, pair, 0, promise) != napi_ok ||
      napi_set_element(env, pair, 1, token) != napi_ok)
    pair = NULL;
out:
  free(s[0]);
  free(s[1]);
  return pair;
}

/* pending(): the calls in flight, i.e. not yet settled (for tests: a call
 * settled twice or never would leave it off zero). */
static napi_value pending(napi_env env, napi_callback_info info) {
  env_state *st;
  napi_value v;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&st) != napi_ok ||
      napi_create_uint32(env, st->in_flight, &v) != napi_ok)
    return NULL;
  return v;
}

/* Turns a malloc'd envelope of the library into a JS string and frees it. */
static napi_value take_envelope(napi_env env, char *p) {
  if (p == NULL) {
    napi_throw_error(env, NULL, "perry-container: out of memory");
    return NULL;
  }
  napi_value v;
  napi_status s = napi_create_string_utf8(env, p, NAPI_AUTO_LENGTH, &v);
  js_container_free(p);
  return s == napi_ok ? v : NULL;
}

/* callSync(op, handle, s1, s2): string (the envelope). */
static napi_value call_sync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type(env, "callSync(op, handle, ...strings)");
  uint32_t op;
  int64_t h;
  if (napi_get_value_uint32(env, argv[0], &op) != napi_ok || op >= PERRY_N_SYNC) return throw_type(env, "unknown op");
  if (napi_get_value_int64(env, argv[1], &h) != napi_ok) return throw_type(env, "handle must be a number");
  char *s[2] = {NULL, NULL};
  for (size_t i = 0; i < 2 && 2 + i < argc; i++) {
    if (get_opt_string(env, argv[2 + i], &s[i]) != napi_ok) {
      free(s[0]);
      return throw_type(env, "string arguments must be strings, null or undefined");
    }
  }
  char *p = perry_ops_call_sync(op, h, s[0], s[1]);
  free(s[0]);
  free(s[1]);
  return take_envelope(env, p);
}

/* shutdown(timeoutMs, teardown): string (the envelope). */
static napi_value shutdown_lib(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t timeout = 0, teardown = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &timeout) != napi_ok ||
      napi_get_value_int32(env, argv[1], &teardown) != napi_ok)
    return throw_type(env, "shutdown(timeoutMs, teardown)");
  /* In-flight streams end while the library waits: nobody on this (blocked)
   * JS thread can consume a waiting chunk callback's chunk. */
  env_state *st;
  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&st);
  pthread_mutex_lock(&st->mu);
  st->draining = 1;
  pthread_cond_broadcast(&st->acked);
  pthread_mutex_unlock(&st->mu);
  char *res = js_container_shutdown(timeout, teardown);
  pthread_mutex_lock(&st->mu);
  st->draining = 0;
  pthread_mutex_unlock(&st->mu);
  return take_envelope(env, res);
}

static napi_value names(napi_env env, const char *const *list, size_t n) {
  napi_value arr;
  if (napi_create_array_with_length(env, n, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    napi_value s;
    if (napi_create_string_utf8(env, list[i], NAPI_AUTO_LENGTH, &s) != napi_ok ||
        napi_set_element(env, arr, (uint32_t)i, s) != napi_ok)
      return NULL;
  }
  return arr;
}

static napi_value set_fn(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) != napi_ok ||
      napi_set_named_property(env, exports, name, fn) != napi_ok)
    return NULL;
  return fn;
}

static napi_value init(napi_env env, napi_value exports) {
  /* Refuse a library of another major ABI version than the header's. */
  const char *have = js_container_abi_version();
  const char *want = PERRY_CONTAINER_ABI_VERSION;
  size_t major = strcspn(want, ".");
  if (strncmp(have, want, major) != 0 || (have[major] != '.' && have[major] != '\0')) {
    napi_throw_error(env, NULL, "perry-container: libperrycontainer's ABI version does not match the addon's header");
    return NULL;
  }

  env_state *st = calloc(1, sizeof *st);
  if (st == NULL) {
    napi_throw_error(env, NULL, "perry-container: out of memory");
    return NULL;
  }
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->acked, NULL);
  napi_value name;
  napi_create_string_utf8(env, "perry-container", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, settle, &st->tsfn) != napi_ok)
    return NULL;
  napi_unref_threadsafe_function(env, st->tsfn);
  /* Added after the threadsafe function, so it runs before the function's
   * own teardown (cleanup hooks run in reverse order). */
  napi_add_env_cleanup_hook(env, on_env_cleanup, st);

  const char *an[PERRY_N_ASYNC], *sn[PERRY_N_SYNC], *stn[PERRY_N_STREAM];
  for (size_t i = 0; i < PERRY_N_ASYNC; i++) an[i] = perry_async_ops[i].name;
  for (size_t i = 0; i < PERRY_N_SYNC; i++) sn[i] = perry_sync_ops[i].name;
  for (size_t i = 0; i < PERRY_N_STREAM; i++) stn[i] = perry_stream_ops[i].name;
  napi_value v;
  if ((v = names(env, an, PERRY_N_ASYNC)) == NULL || napi_set_named_property(env, exports, "asyncOps", v) != napi_ok)
    return NULL;
  if ((v = names(env, sn, PERRY_N_SYNC)) == NULL || napi_set_named_property(env, exports, "syncOps", v) != napi_ok)
    return NULL;
  if ((v = names(env, stn, PERRY_N_STREAM)) == NULL || napi_set_named_property(env, exports, "streamOps", v) != napi_ok)
    return NULL;
  if (napi_create_string_utf8(env, have, NAPI_AUTO_LENGTH, &v) != napi_ok ||
      napi_set_named_property(env, exports, "abiVersion", v) != napi_ok)
    return NULL;
  if (!set_fn(env, exports, "callAsync", call_async, st) || !set_fn(env, exports, "callSync", call_sync, NULL) ||
      !set_fn(env, exports, "shutdown", shutdown_lib, st) || !set_fn(env, exports, "follow", follow, st) ||
      !set_fn(env, exports, "ack", ack_chunk, NULL) || !set_fn(env, exports, "pending", pending, st) ||
      !set_fn(env, exports, "cancel", cancel_call, NULL))
    return NULL;
  js_container_module_init();
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
