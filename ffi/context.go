package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/puzpuzpuz/xsync/v3"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/core"
)

// maxHandle keeps handles exact as JS doubles and below Perry's 48-bit
// pointer tag.
const maxHandle = int64(1)<<48 - 1

// nextHandle is process-wide so a handle is never reused, not even by
// another hostCtx.
var nextHandle atomic.Int64

// handleKind types a handle: a compose handle passed to a workload function
// is an error, not a crash.
type handleKind string

const (
	kindCompose  handleKind = "compose"
	kindWorkload handleKind = "workload"
)

type handle struct {
	kind  handleKind
	value any
}

// Resolver finds the backend a hostCtx uses.
type Resolver func(ctx context.Context) (backend.Backend, error)

// hostCtx is one library state: the backend choice, the handle registry and
// the in-flight operations. The exports use the current one (see current);
// js_container_module_init after a shutdown installs a fresh one, and tests
// build isolated ones.
type hostCtx struct {
	resolve Resolver

	bmu     sync.Mutex // guards backend and flight
	backend backend.Backend
	flight  *resolution // the detection in progress, if any

	handles *xsync.MapOf[int64, handle]
	// projects maps a project (by kind and name) to the slot that holds its
	// handle, so a second up of a project this state holds answers with the
	// same handle. Slots are never removed: a waiter may hold one.
	projects *xsync.MapOf[string, *projectSlot]

	// ops holds the cancel functions of in-flight operations by the host's
	// ctx pointer (js_container_cancel).
	ops *xsync.MapOf[uintptr, *opSet]

	// verifier checks capability images; nil means the process-wide one.
	verifier capability.Verifier

	// root is cancelled by Shutdown; every operation runs under it.
	root     context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
	active   atomic.Int64 // in-flight count: Shutdown need not wait when 0
	mu       sync.RWMutex // guards closed against Add racing Wait
	closed   bool
}

// resolution is one detection shared by the callers that wait for it.
type resolution struct {
	done chan struct{}
	b    backend.Backend
	err  error
}

// projectSlot serializes the ups of one project and remembers its handle
// (0: none live).
type projectSlot struct {
	mu sync.Mutex
	h  int64
}

// newHostCtx returns an isolated context that resolves its backend with r.
func newHostCtx(r Resolver) *hostCtx {
	root, cancel := context.WithCancel(context.Background())
	return &hostCtx{
		resolve:  r,
		handles:  xsync.NewMapOf[int64, handle](),
		projects: xsync.NewMapOf[string, *projectSlot](),
		ops:      xsync.NewMapOf[uintptr, *opSet](),
		root:     root,
		cancel:   cancel,
	}
}

// StartDetection begins resolving the backend in the background.
func (c *hostCtx) StartDetection() {
	go func() { _, _ = c.Backend(context.Background()) }()
}

// Backend returns the context's backend. Concurrent callers share one
// resolution; a success is kept, a failure is not (the usual fix for
// NoBackendFound is starting a runtime, which must not need a host restart).
func (c *hostCtx) Backend(ctx context.Context) (backend.Backend, error) {
	c.bmu.Lock()
	if b := c.backend; b != nil {
		c.bmu.Unlock()
		return b, nil
	}
	f := c.flight
	if f == nil {
		f = &resolution{done: make(chan struct{})}
		c.flight = f
		go c.runResolution(f)
	}
	c.bmu.Unlock()
	select {
	case <-f.done:
		return f.b, f.err
	case <-ctx.Done():
		return nil, core.AsError(ctx.Err())
	}
}

func (c *hostCtx) runResolution(f *resolution) {
	defer close(f.done)
	func() {
		defer func() {
			if r := recover(); r != nil {
				f.err = core.Errorf(core.KindInternal, "backend detection panicked: %v", r)
			}
		}()
		f.b, f.err = c.resolve(c.root)
	}()
	c.bmu.Lock()
	defer c.bmu.Unlock()
	if f.err == nil {
		c.backend = f.b
	}
	c.flight = nil
}

// begin registers an in-flight operation; it fails after Shutdown.
func (c *hostCtx) begin() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return errShutDown()
	}
	c.inflight.Add(1)
	c.active.Add(1)
	return nil
}

func (c *hostCtx) end() {
	c.active.Add(-1)
	c.inflight.Done()
}

func errShutDown() error {
	return core.Errorf(core.KindCancelled, "perry-container has been shut down (js_container_shutdown)")
}

func (c *hostCtx) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// register stores v and returns its new handle. After Shutdown it refuses
// (Cancelled): an operation that outlived the shutdown must undo its work
// rather than leave a handle nobody will tear down.
func (c *hostCtx) register(kind handleKind, v any) (int64, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return 0, errShutDown()
	}
	h := nextHandle.Add(1)
	if h > maxHandle {
		return 0, core.Errorf(core.KindInternal, "handle space exhausted")
	}
	c.handles.Store(h, handle{kind: kind, value: v})
	return h, nil
}

// lookup returns the value of a live handle of the given kind.
func (c *hostCtx) lookup(h int64, kind handleKind) (any, error) {
	if h <= 0 || h > maxHandle {
		return nil, core.InvalidArgument("handle", "%d is not a valid handle (handles are positive and below 2^48)", h)
	}
	e, ok := c.handles.Load(h)
	if !ok {
		return nil, core.NotFound(string(kind)+" handle", itoa(h)).With("handle", h)
	}
	if e.kind != kind {
		return nil, core.InvalidArgument("handle", "%d is a %s handle, not a %s handle", h, e.kind, kind).With("handle", h)
	}
	return e.value, nil
}

func (c *hostCtx) release(h int64) { c.handles.Delete(h) }

// live is what every handle value shares: a lock serializing the calls
// that change the handle or its containers (up, down, start, stop,
// restart, exec; so a concurrent down runs once), and whether it was
// brought down. Read-only calls (ps, status, graph, logs, config) take no
// lock: they never wait behind a long exec or up on the same handle.
type live struct {
	mu   sync.Mutex
	down atomic.Bool
}

func (l *live) state() *live { return l }

// withLive runs fn on the value behind h, of the given kind, holding its
// lock; a handle already brought down is NotFound.
func withLive[T liveValue](c *hostCtx, h int64, kind handleKind, fn func(T) (any, error)) (any, error) {
	v, err := c.lookup(h, kind)
	if err != nil {
		return nil, err
	}
	t := v.(T)
	l := t.state()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down.Load() {
		return nil, core.NotFound(string(kind)+" handle", itoa(h)).With("handle", h)
	}
	return fn(t)
}

// readLive runs a read-only fn on the value behind h without its lock; a
// handle already brought down is NotFound.
func readLive[T liveValue](c *hostCtx, h int64, kind handleKind, fn func(T) (any, error)) (any, error) {
	v, err := c.lookup(h, kind)
	if err != nil {
		return nil, err
	}
	t := v.(T)
	if t.state().down.Load() {
		return nil, core.NotFound(string(kind)+" handle", itoa(h)).With("handle", h)
	}
	return fn(t)
}

// teardownOnce runs down unless the value is down already and marks it
// down (shutdown's path: the handle stays registered until cleared).
func (l *live) teardownOnce(down func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down.Load() {
		return nil
	}
	l.down.Store(true)
	return down()
}

// downLive brings the value behind h down and releases h; after a failed
// down the handle stays usable (the caller may try again).
func downLive[T liveValue](c *hostCtx, h int64, kind handleKind, down func(T) error) (any, error) {
	return withLive(c, h, kind, func(t T) (any, error) {
		if err := down(t); err != nil {
			return nil, err
		}
		t.state().down.Store(true)
		c.release(h)
		return nil, nil
	})
}

// liveValue is what handle values share (*stack, *graphRun).
type liveValue interface{ state() *live }

// upProject brings a project up under one handle per name: the first up
// registers a new handle; a later up of the same project while that handle
// is live runs up again on its value (converging the stack, as `docker
// compose up` does on a running project) and answers with the same handle,
// so a down through it ends the project for every holder. up returns the
// value to register; a value with an error is registered too and the error
// names its handle.
func (c *hostCtx) upProject(kind handleKind, name string, up func(prev any) (any, error)) (int64, error) {
	slot, _ := c.projects.LoadOrCompute(string(kind)+"/"+name, func() *projectSlot { return &projectSlot{} })
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if h := slot.h; h != 0 {
		found := false
		var upErr error
		_, _ = withLive(c, h, kind, func(t liveValue) (any, error) {
			found = true
			_, upErr = up(t)
			return nil, nil
		})
		if found {
			if upErr != nil {
				return 0, core.AsError(upErr).With("handle", h)
			}
			return h, nil
		}
		// Brought down since: a new handle.
	}
	v, upErr := up(nil)
	if v == nil {
		return 0, upErr
	}
	h, err := c.register(kind, v)
	if err != nil {
		// Shut down meanwhile: undo rather than leave an unreachable stack.
		if d, ok := v.(downer); ok {
			ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
			defer cancel()
			_ = d.teardown(ctx)
		}
		return 0, err
	}
	slot.h = h
	if upErr != nil {
		// Kept for inspection (halt-graph): the error names the handle.
		return h, core.AsError(upErr).With("handle", h)
	}
	return h, nil
}

// liveHandles returns the number of registered handles (tests: no leaks).
func (c *hostCtx) liveHandles() int { return c.handles.Size() }
