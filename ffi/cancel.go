package main

import (
	"context"
	"sync"

	"github.com/perryts/perry-container/core"
)

// opSet is the in-flight operations started with one host ctx. Hosts pass a
// unique ctx per call (their promise id), but nothing forbids reusing one, so
// a ctx may name several operations; cancel ends them all.
type opSet struct {
	mu     sync.Mutex
	ops    map[*op]struct{}
	closed bool // removed from the map: a late add must retry
}

// op is one cancellable operation.
type op struct {
	cancel    context.CancelFunc
	cancelled bool // by the host (guarded by the set's mu)
}

// startOp derives the context of one operation started with the host's ctx
// ud and registers it for cancel; finish must be called when it ends.
func (c *hostCtx) startOp(ud uintptr) (context.Context, func() (cancelled bool)) {
	ctx, cancel := context.WithCancel(c.root)
	o := &op{cancel: cancel}
	for {
		set, _ := c.ops.LoadOrCompute(ud, func() *opSet { return &opSet{ops: map[*op]struct{}{}} })
		set.mu.Lock()
		if set.closed {
			set.mu.Unlock()
			continue
		}
		set.ops[o] = struct{}{}
		set.mu.Unlock()
		finish := func() bool {
			set.mu.Lock()
			delete(set.ops, o)
			was := o.cancelled
			if len(set.ops) == 0 && !set.closed {
				set.closed = true
				c.ops.Delete(ud)
			}
			set.mu.Unlock()
			cancel()
			return was
		}
		return ctx, finish
	}
}

// Cancel cancels every in-flight operation started with ud. An unknown or
// finished ud is a no-op. It returns how many operations it cancelled.
func (c *hostCtx) Cancel(ud uintptr) int {
	set, ok := c.ops.Load(ud)
	if !ok {
		return 0
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	n := 0
	for o := range set.ops {
		if !o.cancelled {
			o.cancelled = true
			o.cancel()
			n++
		}
	}
	return n
}

// errCancelledByHost is what a cancelled operation reports, whatever error
// the cancellation surfaced as inside it (a rolled-back up, a context
// error). The cause's details stay (e.g. the handle a converging up kept).
func errCancelledByHost(cause error) error {
	return &core.Error{Kind: core.KindCancelled, Message: "operation cancelled by js_container_cancel",
		Details: core.AsError(cause).Details, Err: cause}
}
