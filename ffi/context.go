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
// pointer tag (DECISIONS D3).
const maxHandle = int64(1)<<48 - 1

// nextHandle is process-wide so a handle is never reused, not even by
// another Context.
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

// Resolver finds the backend a Context uses.
type Resolver func(ctx context.Context) (backend.Backend, error)

// Context owns what would otherwise be global state: the backend choice and
// the handle registry (the spec's ContainerContext). The exports use one
// process-global Context; tests build isolated ones.
type Context struct {
	resolve Resolver

	once    sync.Once
	backend backend.Backend
	err     error
	ready   chan struct{}

	handles *xsync.MapOf[int64, handle]

	// verifier checks capability images; nil means the process-wide one.
	verifier capability.Verifier

	// root is cancelled by Shutdown; every operation runs under it.
	root     context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
	mu       sync.RWMutex // guards closed against Add racing Wait
	closed   bool
}

// NewContext returns an isolated context that resolves its backend with r.
func NewContext(r Resolver) *Context {
	root, cancel := context.WithCancel(context.Background())
	return &Context{
		resolve: r,
		ready:   make(chan struct{}),
		handles: xsync.NewMapOf[int64, handle](),
		root:    root,
		cancel:  cancel,
	}
}

// StartDetection begins resolving the backend in the background.
func (c *Context) StartDetection() {
	go func() { _, _ = c.Backend(context.Background()) }()
}

// Backend returns the context's backend, resolving it once. Concurrent
// callers share one resolution.
func (c *Context) Backend(ctx context.Context) (backend.Backend, error) {
	c.once.Do(func() {
		defer close(c.ready)
		defer func() {
			if r := recover(); r != nil {
				c.err = core.Errorf(core.KindInternal, "backend detection panicked: %v", r)
			}
		}()
		c.backend, c.err = c.resolve(c.root)
	})
	select {
	case <-c.ready:
		return c.backend, c.err
	case <-ctx.Done():
		return nil, core.AsError(ctx.Err())
	}
}

// begin registers an in-flight operation; it fails after Shutdown.
func (c *Context) begin() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return core.Errorf(core.KindCancelled, "perry-container has been shut down (js_container_shutdown)")
	}
	c.inflight.Add(1)
	return nil
}

func (c *Context) end() { c.inflight.Done() }

// register stores v and returns its new handle.
func (c *Context) register(kind handleKind, v any) (int64, error) {
	h := nextHandle.Add(1)
	if h > maxHandle {
		return 0, core.Errorf(core.KindInternal, "handle space exhausted")
	}
	c.handles.Store(h, handle{kind: kind, value: v})
	return h, nil
}

// lookup returns the value of a live handle of the given kind.
func (c *Context) lookup(h int64, kind handleKind) (any, error) {
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

func (c *Context) release(h int64) { c.handles.Delete(h) }

// live is what every handle value shares: a lock serializing the handle's
// operations (so a concurrent down runs once) and whether it was brought down.
type live struct {
	mu   sync.Mutex
	down bool
}

func (l *live) state() *live { return l }

// withLive runs fn on the value behind h, of the given kind, holding its
// lock; a handle already brought down is NotFound.
func withLive[T interface{ state() *live }](c *Context, h int64, kind handleKind, fn func(T) (any, error)) (any, error) {
	v, err := c.lookup(h, kind)
	if err != nil {
		return nil, err
	}
	t := v.(T)
	l := t.state()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return nil, core.NotFound(string(kind)+" handle", itoa(h)).With("handle", h)
	}
	return fn(t)
}

// teardownOnce runs down unless the value is down already and marks it
// down (shutdown's path: the handle stays registered until cleared).
func (l *live) teardownOnce(down func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return nil
	}
	l.down = true
	return down()
}

// downLive brings the value behind h down and releases h; after a failed
// down the handle stays usable (the caller may try again).
func downLive[T interface{ state() *live }](c *Context, h int64, kind handleKind, down func(T) error) (any, error) {
	return withLive(c, h, kind, func(t T) (any, error) {
		if err := down(t); err != nil {
			return nil, err
		}
		t.state().down = true
		c.release(h)
		return nil, nil
	})
}

// liveHandles returns the number of registered handles (tests: no leaks).
func (c *Context) liveHandles() int { return c.handles.Size() }
