package main

import (
	"context"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// syncDetectTimeout bounds js_container_getBackend, which blocks its caller.
const syncDetectTimeout = 15 * time.Second

// global is the process-wide Context every export uses.
var global = NewContext(defaultResolver)

func msDuration(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }

// defaultResolver is detection (PERRY_CONTAINER_BACKEND=fake selects the
// in-memory engine, for hosts' own tests).
func defaultResolver(ctx context.Context) (backend.Backend, error) {
	return detectBackend(ctx)
}

// opDetect reports every candidate runtime.
func (c *Context) opDetect(ctx context.Context) (any, error) {
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
// context started. It may be called more than once.
func (c *Context) Shutdown(timeout time.Duration, teardown bool) (any, error) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()

	deadline := time.Now().Add(timeout)
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		return nil, core.Errorf(core.KindTimeout, "in-flight operations did not finish within %v", timeout)
	}
	res := ShutdownResult{TornDown: []int64{}}
	if !teardown {
		return res, nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(30*time.Second))
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
	return res, nil
}

// downer is a handle value that can be brought down at shutdown.
type downer interface {
	teardown(ctx context.Context) error
}
