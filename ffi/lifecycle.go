package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// syncDetectTimeout bounds js_container_getBackend, which blocks its caller.
const syncDetectTimeout = 15 * time.Second

// teardownTimeout bounds the teardown of one stack or graph that no handle
// holds any more (its up finished after a shutdown).
const teardownTimeout = 30 * time.Second

// state is the library state every export uses. js_container_module_init
// after a shutdown replaces it with a fresh one; handles of the old one are
// then unknown (NotFound) and, the counter being process-wide, never reused.
var state atomic.Pointer[hostCtx]

func init() { state.Store(newHostCtx(defaultResolver)) }

// current is the library state of this moment.
func current() *hostCtx { return state.Load() }

// reinit installs a fresh state when the current one was shut down, and
// reports the state in use.
func reinit() *hostCtx {
	for {
		c := current()
		if !c.isClosed() {
			return c
		}
		if n := newHostCtx(defaultResolver); state.CompareAndSwap(c, n) {
			return n
		}
	}
}

func msDuration(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }

// defaultResolver is detection (PERRY_CONTAINER_BACKEND=fake selects the
// in-memory engine, for hosts' own tests).
func defaultResolver(ctx context.Context) (backend.Backend, error) {
	return detectBackend(ctx)
}

// opDetect reports every candidate runtime.
func (c *hostCtx) opDetect(ctx context.Context) (any, error) {
	return detectCandidates(ctx)
}

// ShutdownResult is what js_container_shutdown reports.
type ShutdownResult struct {
	// TornDown lists the handles brought down because teardown was asked.
	TornDown []int64 `json:"tornDown"`
	// Errors holds teardown failures by handle.
	Errors map[string]string `json:"errors,omitempty"`
}

// Shutdown refuses new work, cancels in-flight work and waits for it (at
// most timeout), then, with teardown, brings down the stacks and graphs this
// context started, also when the wait timed out: a host that asks for
// teardown must never be left with running stacks. It may be called more
// than once.
func (c *hostCtx) Shutdown(timeout time.Duration, teardown bool) (any, error) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()

	deadline := time.Now().Add(timeout)
	var timedOut error
	if c.active.Load() > 0 {
		done := make(chan struct{})
		go func() { c.inflight.Wait(); close(done) }()
		t := time.NewTimer(timeout)
		select {
		case <-done:
		case <-t.C:
			timedOut = core.Errorf(core.KindTimeout, "in-flight operations did not finish within %v", timeout)
		}
		t.Stop()
	}
	res := ShutdownResult{TornDown: []int64{}}
	if teardown {
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(teardownTimeout))
		defer cancel()
		c.handles.Range(func(h int64, e handle) bool {
			if d, ok := e.value.(downer); ok {
				if err := d.teardown(ctx); err != nil {
					if res.Errors == nil {
						res.Errors = map[string]string{}
					}
					res.Errors[itoa(h)] = err.Error()
				}
				res.TornDown = append(res.TornDown, h)
			}
			c.release(h)
			return true
		})
	}
	if timedOut != nil {
		// The teardown was still done: say what it brought down.
		return nil, core.AsError(timedOut).With("tornDown", res.TornDown)
	}
	return res, nil
}

// downer is a handle value that can be brought down at shutdown.
type downer interface {
	teardown(ctx context.Context) error
}
