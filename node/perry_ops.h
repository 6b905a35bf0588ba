/*
 * perry_ops.h: the table of the library's functions by name and shape, and
 * one dispatcher for each kind, shared by the hosts that call them
 * generically (the Node addon, the Perry adapter): a host passes an index
 * into the table, a handle, an int32 flag and up to four strings, and each
 * function receives those its C signature takes, in order.
 */
#ifndef PERRY_OPS_H
#define PERRY_OPS_H

#include <stdint.h>

#include "perry_container.h"

/* The shapes of the asynchronous C functions (arguments before cb, ctx):
 * S = const char *, H = int64_t handle, I = int32_t. */
enum shape { SH_0, SH_S, SH_SS, SH_SSSS, SH_SI, SH_H, SH_HS, SH_HI, SH_HSS, SH_HSSS };

typedef int32_t (*fn_0)(perry_complete_fn, void *);
typedef int32_t (*fn_s)(const char *, perry_complete_fn, void *);
typedef int32_t (*fn_ss)(const char *, const char *, perry_complete_fn, void *);
typedef int32_t (*fn_ssss)(const char *, const char *, const char *, const char *, perry_complete_fn, void *);
typedef int32_t (*fn_si)(const char *, int32_t, perry_complete_fn, void *);
typedef int32_t (*fn_h)(int64_t, perry_complete_fn, void *);
typedef int32_t (*fn_hs)(int64_t, const char *, perry_complete_fn, void *);
typedef int32_t (*fn_hi)(int64_t, int32_t, perry_complete_fn, void *);
typedef int32_t (*fn_hss)(int64_t, const char *, const char *, perry_complete_fn, void *);
typedef int32_t (*fn_hsss)(int64_t, const char *, const char *, const char *, perry_complete_fn, void *);

typedef struct {
  const char *name;
  enum shape shape;
  void (*fn)(void);
} async_op;

#define OP(name, shape) {#name, shape, (void (*)(void))name}

/* Every asynchronous symbol of perry_container.h; JS finds them by name. */
static const async_op perry_async_ops[] = {
    OP(js_container_detectBackend, SH_0),
    OP(js_container_getBackendAsync, SH_0),
    OP(js_container_run, SH_S),
    OP(js_container_create, SH_S),
    OP(js_container_start, SH_S),
    OP(js_container_stop, SH_SS),
    OP(js_container_remove, SH_SS),
    OP(js_container_list, SH_S),
    OP(js_container_inspect, SH_S),
    OP(js_container_logs, SH_SS),
    OP(js_container_exec, SH_SSSS),
    OP(js_container_wait, SH_S),
    OP(js_container_pullImage, SH_S),
    OP(js_container_listImages, SH_0),
    OP(js_container_removeImage, SH_SI),
    OP(js_container_inspectImage, SH_S),
    OP(js_container_build, SH_SS),
    OP(js_container_composeUp, SH_S),
    OP(js_container_compose_up, SH_S),
    OP(js_container_composeUpWith, SH_SS),
    OP(js_container_compose_down, SH_HI),
    OP(js_container_compose_ps, SH_H),
    OP(js_container_compose_logs, SH_HS),
    OP(js_container_compose_exec, SH_HSSS),
    OP(js_container_compose_config, SH_H),
    OP(js_container_compose_start, SH_HS),
    OP(js_container_compose_stop, SH_HS),
    OP(js_container_compose_restart, SH_HS),
    OP(js_container_compose_status, SH_H),
    OP(js_compose_up, SH_S),
    OP(js_compose_down, SH_HI),
    OP(js_compose_ps, SH_H),
    OP(js_compose_logs, SH_HS),
    OP(js_compose_exec, SH_HSSS),
    OP(js_compose_config, SH_H),
    OP(js_compose_start, SH_HS),
    OP(js_compose_stop, SH_HS),
    OP(js_compose_restart, SH_HS),
    OP(js_compose_status, SH_H),
    OP(js_workload_runGraph, SH_SS),
    OP(js_workload_inspectGraph, SH_S),
    OP(js_workload_handle_down, SH_HS),
    OP(js_workload_handle_status, SH_H),
    OP(js_workload_handle_logs, SH_HSS),
    OP(js_workload_handle_exec, SH_HSS),
    OP(js_workload_handle_ps, SH_H),
};
#define PERRY_N_ASYNC (sizeof perry_async_ops / sizeof perry_async_ops[0])

/* The synchronous symbols: V = no argument, H = handle, SS = two strings. */
enum sync_shape { SY_V, SY_H, SY_SS };
typedef struct {
  const char *name;
  enum sync_shape shape;
  void (*fn)(void);
} sync_op;

static const sync_op perry_sync_ops[] = {
    OP(js_container_getBackend, SY_V),
    OP(js_container_compose_graph, SY_H),
    OP(js_compose_graph, SY_H),
    OP(js_workload_graph, SY_SS),
    OP(js_workload_node, SY_SS),
    OP(js_workload_handle_graph, SY_H),
};
#define PERRY_N_SYNC (sizeof perry_sync_ops / sizeof perry_sync_ops[0])

/* The streaming symbols (arguments before chunk, cb, ctx): SS = two
 * strings, HS = a handle and a string, HSS = a handle and two strings. */
enum stream_shape { ST_SS, ST_HS, ST_HSS };
typedef int32_t (*fn_st_ss)(const char *, const char *, perry_chunk_fn, perry_complete_fn, void *);
typedef int32_t (*fn_st_hs)(int64_t, const char *, perry_chunk_fn, perry_complete_fn, void *);
typedef int32_t (*fn_st_hss)(int64_t, const char *, const char *, perry_chunk_fn, perry_complete_fn, void *);
typedef struct {
  const char *name;
  enum stream_shape shape;
  void (*fn)(void);
} stream_op;

static const stream_op perry_stream_ops[] = {
    OP(js_container_logs_follow, ST_SS),
    OP(js_container_compose_logs_follow, ST_HS),
    OP(js_compose_logs_follow, ST_HS),
    OP(js_workload_handle_logs_follow, ST_HSS),
    OP(js_container_compose_events, ST_HS),
};
#define PERRY_N_STREAM (sizeof perry_stream_ops / sizeof perry_stream_ops[0])

/* Calls perry_async_ops[op] (op must be in range); its return value. */
static inline int32_t perry_ops_call_async(uint32_t op, int64_t h, int32_t flag, char *const s[4], perry_complete_fn cb,
                                           void *ctx) {
  void (*f)(void) = perry_async_ops[op].fn;
  switch (perry_async_ops[op].shape) {
  case SH_0: return ((fn_0)f)(cb, ctx);
  case SH_S: return ((fn_s)f)(s[0], cb, ctx);
  case SH_SS: return ((fn_ss)f)(s[0], s[1], cb, ctx);
  case SH_SSSS: return ((fn_ssss)f)(s[0], s[1], s[2], s[3], cb, ctx);
  case SH_SI: return ((fn_si)f)(s[0], flag, cb, ctx);
  case SH_H: return ((fn_h)f)(h, cb, ctx);
  case SH_HS: return ((fn_hs)f)(h, s[0], cb, ctx);
  case SH_HI: return ((fn_hi)f)(h, flag, cb, ctx);
  case SH_HSS: return ((fn_hss)f)(h, s[0], s[1], cb, ctx);
  case SH_HSSS: return ((fn_hsss)f)(h, s[0], s[1], s[2], cb, ctx);
  }
  return -1;
}

/* Calls perry_stream_ops[op] (op must be in range); its return value. */
static inline int32_t perry_ops_call_stream(uint32_t op, int64_t h, char *const s[2], perry_chunk_fn chunk,
                                            perry_complete_fn cb, void *ctx) {
  void (*f)(void) = perry_stream_ops[op].fn;
  switch (perry_stream_ops[op].shape) {
  case ST_SS: return ((fn_st_ss)f)(s[0], s[1], chunk, cb, ctx);
  case ST_HS: return ((fn_st_hs)f)(h, s[0], chunk, cb, ctx);
  case ST_HSS: return ((fn_st_hss)f)(h, s[0], s[1], chunk, cb, ctx);
  }
  return -1;
}

/* Calls perry_sync_ops[op] (op must be in range); its malloc'd envelope. */
static inline char *perry_ops_call_sync(uint32_t op, int64_t h, const char *s0, const char *s1) {
  void (*f)(void) = perry_sync_ops[op].fn;
  switch (perry_sync_ops[op].shape) {
  case SY_V: return ((char *(*)(void))f)();
  case SY_H: return ((char *(*)(int64_t))f)(h);
  case SY_SS: return ((char *(*)(const char *, const char *))f)(s0, s1);
  }
  return NULL;
}

#endif /* PERRY_OPS_H */
