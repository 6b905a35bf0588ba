// Command ffi is perry-container's C ABI: built with -buildmode=c-shared it
// is libperrycontainer.so, with -buildmode=c-archive libperrycontainer.a.
// include/perry_container.h is the contract; this file only moves bytes
// across cgo: it copies borrowed arguments, schedules the operation, and
// completes the callback exactly once.
package main

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*perry_complete_fn)(void *ctx, int32_t status, const char *json, size_t len);
typedef void (*perry_chunk_fn)(void *ctx, const char *json, size_t len);

// ctx travels through Go as an integer: hosts pass arbitrary values (not
// only pointers), which Go must never see as pointers.
static inline void perry_call(perry_complete_fn cb, uintptr_t ctx, int32_t status, const char *json, size_t len) {
	cb((void *)ctx, status, json, len);
}

static inline void perry_chunk(perry_chunk_fn fn, uintptr_t ctx, const char *json, size_t len) {
	fn((void *)ctx, json, len);
}

// Bounded so that a huge or unterminated-looking input is rejected without
// copying it.
static inline size_t perry_strnlen(const char *s, size_t max) { return strnlen(s, max); }

static const char perry_abi_version[] = "1.2.0";
static inline const char *perry_abi(void) { return perry_abi_version; }
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/perryts/perry-container/core"
)

func main() {}

// cArg copies a borrowed C string argument (NULL = absent), checking UTF-8
// and the 16 MiB bound.
func cArg(name string, p *C.char) arg {
	if p == nil {
		return newArg(name, "", false, false)
	}
	n := C.perry_strnlen(p, maxArg+1)
	if n > maxArg {
		return newArg(name, "", true, true)
	}
	return newArg(name, C.GoStringN(p, C.int(n)), true, false)
}

// panicError turns a recovered panic into an Internal error with its message.
func panicError(r any) error {
	return core.Errorf(core.KindInternal, "internal error (recovered panic): %v", r).With("goStack", string(debug.Stack()))
}

// schedule runs op on a library goroutine and completes cb exactly once.
// It returns 0 when scheduled, -1 when cb is NULL (then nothing fires).
// The operation is registered under the host's ctx before schedule returns,
// so js_container_cancel(ctx) right after the call reaches it.
func schedule(cb C.perry_complete_fn, ud C.uintptr_t, op func(c *hostCtx, ctx context.Context) (any, error)) (rc C.int32_t) {
	if cb == nil {
		return -1
	}
	c := current()
	began := c.begin()
	var ctx context.Context
	var finish func() bool
	if began == nil {
		ctx, finish = c.startOp(uintptr(ud))
	}
	dispatch(func() {
		var js []byte
		var status int32
		func() {
			defer func() {
				if r := recover(); r != nil {
					finish()
					js, status = envelope(nil, panicError(r))
				}
			}()
			if began != nil {
				js, status = envelope(nil, began)
				return
			}
			v, err := op(c, ctx)
			if finish() && err != nil {
				err = errCancelledByHost(err)
			}
			js, status = envelope(v, err)
		}()
		if began == nil {
			// The operation is over before its callback runs: a host that
			// shuts down from the callback, or right after it, has nothing
			// in flight.
			c.end()
		}
		deliver(cb, ud, status, js)
	})
	return 0
}

// scheduleFollow is schedule for a followed log: chunks go to chunk, in
// order, one at a time, then cb fires once. -1 when chunk is NULL.
func scheduleFollow(chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t, produce func(c *hostCtx, ctx context.Context, emit func(LogLine) error) error) C.int32_t {
	return scheduleStream(chunk, cb, ud, func(c *hostCtx, ctx context.Context, send func([]byte)) (any, error) {
		return follow(ctx, send, func(emit func(LogLine) error) error { return produce(c, ctx, emit) })
	})
}

// scheduleStream is schedule for any stream: run gets the function that
// hands one chunk to the host. -1 when chunk is NULL.
func scheduleStream(chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t, run func(c *hostCtx, ctx context.Context, send func([]byte)) (any, error)) C.int32_t {
	if chunk == nil {
		return -1
	}
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) {
		send := func(js []byte) {
			n := len(js)
			js = append(js, 0)
			C.perry_chunk(chunk, ud, (*C.char)(unsafe.Pointer(&js[0])), C.size_t(n))
			runtime.KeepAlive(js)
		}
		return run(c, ctx, send)
	})
}

// deliver calls cb with the envelope. The bytes are passed in place,
// NUL-terminated: Go memory may be handed to C for the duration of a call,
// and the ABI says json is valid only during the callback, so no malloc'd
// copy is needed.
func deliver(cb C.perry_complete_fn, ud C.uintptr_t, status int32, js []byte) {
	n := len(js)
	js = append(js, 0) // the envelopes leave room: no copy
	C.perry_call(cb, ud, C.int32_t(status), (*C.char)(unsafe.Pointer(&js[0])), C.size_t(n))
	runtime.KeepAlive(js)
}

// Operations run on pooled goroutines: a call is handed to a goroutine
// that finished an earlier one and waits for work (keeping its grown
// stack), and a new goroutine is started only when none is idle, so there
// is never a bound on concurrency (an op may block for minutes, e.g.
// wait()). Idle goroutines exit after workerIdle.
var work = make(chan func())

const workerIdle = 10 * time.Second

func dispatch(fn func()) {
	select {
	case work <- fn: // an idle worker took it
	default:
		go worker(fn)
	}
}

func worker(fn func()) {
	fn()
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		select {
		case fn = <-work:
			fn()
			t.Reset(workerIdle)
		case <-t.C:
			return
		}
	}
}

// syncResult returns a malloc'd envelope for the synchronous functions.
func syncResult(op func() (any, error)) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			js, _ := envelope(nil, panicError(r))
			out = cEnvelope(js)
		}
	}()
	js, _ := envelope(op())
	return cEnvelope(js)
}

// syncOp is syncResult for an operation of the library state: after a
// shutdown it fails with Cancelled, as the asynchronous calls do.
func syncOp(op func(c *hostCtx) (any, error)) *C.char {
	return syncResult(func() (any, error) {
		c := current()
		if err := c.begin(); err != nil {
			return nil, err
		}
		defer c.end()
		return op(c)
	})
}

// cEnvelope copies an envelope to C memory, NUL-terminated: one malloc and
// one copy (the host frees it with js_container_free).
func cEnvelope(js []byte) *C.char {
	return (*C.char)(C.CBytes(append(js, 0)))
}

// ---- Containers and images -------------------------------------------------

//export js_container_run
func js_container_run(spec *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("spec", spec)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opRun(ctx, a, false) })
}

//export js_container_create
func js_container_create(spec *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("spec", spec)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opRun(ctx, a, true) })
}

//export js_container_start
func js_container_start(id *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("id", id)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opStart(ctx, a) })
}

//export js_container_stop
func js_container_stop(id, timeout *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, t := cArg("id", id), cArg("timeout", timeout)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opStop(ctx, a, t) })
}

//export js_container_remove
func js_container_remove(id, force *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, f := cArg("id", id), cArg("force", force)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opRemove(ctx, a, f) })
}

//export js_container_list
func js_container_list(all *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("all", all)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opList(ctx, a) })
}

//export js_container_inspect
func js_container_inspect(id *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("id", id)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opInspect(ctx, a) })
}

//export js_container_logs
func js_container_logs(id, tail *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, t := cArg("id", id), cArg("tail", tail)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opLogs(ctx, a, t) })
}

//export js_container_logs_follow
func js_container_logs_follow(id, opts *C.char, chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, o := cArg("id", id), cArg("opts", opts)
	return scheduleFollow(chunk, cb, ud, func(c *hostCtx, ctx context.Context, emit func(LogLine) error) error {
		return c.opFollowLogs(ctx, a, o, emit)
	})
}

//export js_container_exec
func js_container_exec(id, cmd, env, workdir *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, cm, e, w := cArg("id", id), cArg("cmd", cmd), cArg("env", env), cArg("workdir", workdir)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opExec(ctx, a, cm, e, w) })
}

//export js_container_wait
func js_container_wait(id *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("id", id)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opWait(ctx, a) })
}

//export js_container_pullImage
func js_container_pullImage(ref *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("reference", ref)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opPullImage(ctx, a) })
}

//export js_container_listImages
func js_container_listImages(cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opListImages(ctx) })
}

//export js_container_removeImage
func js_container_removeImage(ref *C.char, force C.int32_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("reference", ref)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opRemoveImage(ctx, a, force != 0) })
}

//export js_container_inspectImage
func js_container_inspectImage(ref *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("reference", ref)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opInspectImage(ctx, a) })
}

//export js_container_build
func js_container_build(spec, image *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	s, i := cArg("build", spec), cArg("image_name", image)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opBuild(ctx, s, i) })
}

// ---- Backends and lifecycle -----------------------------------------------

//export js_container_getBackend
func js_container_getBackend() *C.char {
	return syncOp(func(c *hostCtx) (any, error) {
		ctx, cancel := context.WithTimeout(c.root, syncDetectTimeout)
		defer cancel()
		return c.opGetBackend(ctx)
	})
}

//export js_container_getBackendAsync
func js_container_getBackendAsync(cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opGetBackend(ctx) })
}

//export js_container_detectBackend
func js_container_detectBackend(cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.opDetect(ctx) })
}

//export js_container_module_init
func js_container_module_init() {
	defer func() { _ = recover() }()
	reinit().StartDetection()
}

//export js_container_free
func js_container_free(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

//export js_container_abi_version
func js_container_abi_version() *C.char {
	return (*C.char)(unsafe.Pointer(C.perry_abi()))
}

//export js_container_cancel
func js_container_cancel(ud C.uintptr_t) {
	defer func() { _ = recover() }()
	current().Cancel(uintptr(ud))
}

//export js_container_shutdown
func js_container_shutdown(timeoutMs, teardown C.int32_t) *C.char {
	return syncResult(func() (any, error) {
		if timeoutMs < 0 {
			return nil, core.InvalidArgument("timeout_ms", "must not be negative, got %d", int32(timeoutMs))
		}
		return current().Shutdown(msDuration(int32(timeoutMs)), teardown != 0)
	})
}

// ---- Compose ----------------------------------------------------------------

//export js_container_composeUp
func js_container_composeUp(spec *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a := cArg("spec", spec)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeUp(ctx, a) })
}

//export js_container_compose_up
func js_container_compose_up(spec *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_composeUp(spec, cb, ud)
}

//export js_container_composeUpWith
func js_container_composeUpWith(spec, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	a, o := cArg("spec", spec), cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeUpWith(ctx, a, o) })
}

//export js_container_compose_down
func js_container_compose_down(h C.int64_t, volumes C.int32_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeDown(ctx, int64(h), volumes != 0) })
}

//export js_container_compose_ps
func js_container_compose_ps(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composePs(ctx, int64(h)) })
}

//export js_container_compose_logs
func js_container_compose_logs(h C.int64_t, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	o := cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeLogs(ctx, int64(h), o) })
}

//export js_container_compose_logs_follow
func js_container_compose_logs_follow(h C.int64_t, opts *C.char, chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	o := cArg("opts", opts)
	return scheduleFollow(chunk, cb, ud, func(c *hostCtx, ctx context.Context, emit func(LogLine) error) error {
		return c.composeLogsFollow(ctx, int64(h), o, emit)
	})
}

//export js_container_compose_events
func js_container_compose_events(h C.int64_t, opts *C.char, chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	o := cArg("opts", opts)
	return scheduleStream(chunk, cb, ud, func(c *hostCtx, ctx context.Context, send func([]byte)) (any, error) {
		return c.composeEvents(ctx, int64(h), o, send)
	})
}

//export js_container_compose_exec
func js_container_compose_exec(h C.int64_t, service, cmd, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	s, cm, o := cArg("service", service), cArg("cmd", cmd), cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeExec(ctx, int64(h), s, cm, o) })
}

//export js_container_compose_config
func js_container_compose_config(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeConfig(ctx, int64(h)) })
}

//export js_container_compose_start
func js_container_compose_start(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	s := cArg("services", services)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) {
		return c.composeLifecycle(ctx, int64(h), "start", s)
	})
}

//export js_container_compose_stop
func js_container_compose_stop(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	s := cArg("services", services)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) {
		return c.composeLifecycle(ctx, int64(h), "stop", s)
	})
}

//export js_container_compose_restart
func js_container_compose_restart(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	s := cArg("services", services)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) {
		return c.composeLifecycle(ctx, int64(h), "restart", s)
	})
}

//export js_container_compose_status
func js_container_compose_status(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.composeStatus(ctx, int64(h)) })
}

//export js_container_compose_graph
func js_container_compose_graph(h C.int64_t) *C.char {
	return syncOp(func(c *hostCtx) (any, error) { return c.composeGraph(int64(h)) })
}

// The perry/compose aliases.

//export js_compose_up
func js_compose_up(spec *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_composeUp(spec, cb, ud)
}

//export js_compose_down
func js_compose_down(h C.int64_t, volumes C.int32_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_down(h, volumes, cb, ud)
}

//export js_compose_ps
func js_compose_ps(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_ps(h, cb, ud)
}

//export js_compose_logs
func js_compose_logs(h C.int64_t, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_logs(h, opts, cb, ud)
}

//export js_compose_logs_follow
func js_compose_logs_follow(h C.int64_t, opts *C.char, chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_logs_follow(h, opts, chunk, cb, ud)
}

//export js_compose_exec
func js_compose_exec(h C.int64_t, service, cmd, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_exec(h, service, cmd, opts, cb, ud)
}

//export js_compose_config
func js_compose_config(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_config(h, cb, ud)
}

//export js_compose_start
func js_compose_start(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_start(h, services, cb, ud)
}

//export js_compose_stop
func js_compose_stop(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_stop(h, services, cb, ud)
}

//export js_compose_restart
func js_compose_restart(h C.int64_t, services *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_restart(h, services, cb, ud)
}

//export js_compose_status
func js_compose_status(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return js_container_compose_status(h, cb, ud)
}

//export js_compose_graph
func js_compose_graph(h C.int64_t) *C.char {
	return js_container_compose_graph(h)
}

// ---- Workloads --------------------------------------------------------------

//export js_workload_graph
func js_workload_graph(name, spec *C.char) *C.char {
	n, s := cArg("name", name), cArg("spec", spec)
	return syncOp(func(*hostCtx) (any, error) { return workloadGraph(n, s) })
}

//export js_workload_node
func js_workload_node(name, spec *C.char) *C.char {
	n, s := cArg("name", name), cArg("spec", spec)
	return syncOp(func(*hostCtx) (any, error) { return workloadNode(n, s) })
}

//export js_workload_runGraph
func js_workload_runGraph(graph, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	g, o := cArg("graph", graph), cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.runGraph(ctx, g, o) })
}

//export js_workload_inspectGraph
func js_workload_inspectGraph(graph *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	g := cArg("graph", graph)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.inspectGraph(ctx, g) })
}

//export js_workload_handle_down
func js_workload_handle_down(h C.int64_t, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	o := cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.graphDown(ctx, int64(h), o) })
}

//export js_workload_handle_status
func js_workload_handle_status(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.graphStatus(ctx, int64(h)) })
}

//export js_workload_handle_graph
func js_workload_handle_graph(h C.int64_t) *C.char {
	return syncOp(func(c *hostCtx) (any, error) { return c.graphGraph(int64(h)) })
}

//export js_workload_handle_logs
func js_workload_handle_logs(h C.int64_t, node, opts *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	n, o := cArg("node", node), cArg("opts", opts)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.graphLogs(ctx, int64(h), n, o) })
}

//export js_workload_handle_logs_follow
func js_workload_handle_logs_follow(h C.int64_t, node, opts *C.char, chunk C.perry_chunk_fn, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	n, o := cArg("node", node), cArg("opts", opts)
	return scheduleFollow(chunk, cb, ud, func(c *hostCtx, ctx context.Context, emit func(LogLine) error) error {
		return c.graphLogsFollow(ctx, int64(h), n, o, emit)
	})
}

//export js_workload_handle_exec
func js_workload_handle_exec(h C.int64_t, node, cmd *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	n, cm := cArg("node", node), cArg("cmd", cmd)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.graphExec(ctx, int64(h), n, cm) })
}

//export js_workload_handle_ps
func js_workload_handle_ps(h C.int64_t, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.graphPs(ctx, int64(h)) })
}

// ---- Capabilities -----------------------------------------------------------

//export perry_container_run_capability
func perry_container_run_capability(name, image, cmd, grants *C.char, cb C.perry_complete_fn, ud C.uintptr_t) C.int32_t {
	n, i, cm, g := cArg("name", name), cArg("image", image), cArg("cmd", cmd), cArg("grants", grants)
	return schedule(cb, ud, func(c *hostCtx, ctx context.Context) (any, error) { return c.runShellCapability(ctx, n, i, cm, g) })
}
