package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The executor runs a plan and carries no decision logic: every op is one
// backend call (or one wait; a restart without the runtime's own is two), in a goroutine of its own that waits for the
// ops it depends on. That gives the eager DAG walk (docs/design.md, Scheduling): a service starts
// as soon as its own dependencies are satisfied. The parallel limit bounds
// backend calls only; a wait holds no slot, so a limit of 1 cannot
// deadlock (docker compose v1 deadlocked there when waits held slots).

// recorder lists what an up created, in creation order, for rollback.
// parent, when set, receives every item too (see Recorder).
type recorder struct {
	mu     sync.Mutex
	items  []created
	parent *recorder
}

type created struct {
	kind    ResourceKind
	id      string // container id; network or volume name
	name    string
	service string
	// uncertain: the create call failed or was cut, but the runtime may
	// have created it all the same (a CLI killed after sending its request,
	// an API response lost). Rollback removes it only if it exists and
	// carries this project's label.
	uncertain bool
	cut       bool // the create was cut by the caller's deadline or cancellation
}

func (r *recorder) add(c created) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.items = append(r.items, c)
	r.mu.Unlock()
	r.parent.add(c)
}

// Recorder collects what several Ups (and EnsureResources) of engines
// given WithRecorder create, in creation order, so that one Rollback
// removes all of it: a caller that brings a project up one service at a
// time undoes every step at once, with the same care as a failed Up.
type Recorder struct{ rec recorder }

// WithRecorder makes the engine's Ups and EnsureResources note what they
// create in r as well. A failed Up still rolls back its own part first.
func WithRecorder(r *Recorder) Option { return func(e *Engine) { e.shared = r } }

// sharedRecorder is the recorder of WithRecorder, or nil.
func (e *Engine) sharedRecorder() *recorder {
	if e.shared == nil {
		return nil
	}
	return &e.shared.rec
}

// Rollback removes, in reverse creation order, what r recorded (stopping
// containers within their service's stop_grace_period, retrying failed
// removals, and removing an uncertain create only when it exists with the
// project's label). It runs on a fresh context bounded by the rollback
// timeout, so that a cancelled caller still cleans up, and returns what
// could not be removed.
func (e *Engine) Rollback(ctx context.Context, r *Recorder) []string {
	if r == nil {
		return nil
	}
	m, err := e.model(nil)
	if err != nil {
		return []string{err.Error()}
	}
	return e.rollback(ctx, m, &r.rec, nil)
}

// forget drops items, which a rollback already dealt with.
func (r *recorder) forget(items []created) {
	if r == nil || len(items) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = slices.DeleteFunc(r.items, func(c created) bool { return slices.Contains(items, c) })
	r.parent.forget(items)
}

func (r *recorder) list() []created {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.items)
}

// execute runs p. On the first failure it cancels the ops still running or
// waiting and returns that failure (not the cancellations it caused).
func (e *Engine) execute(ctx context.Context, p *Plan, rec *recorder) error {
	if p.Empty() {
		return ctx.Err()
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var sem chan struct{}
	if e.parallel > 0 {
		sem = make(chan struct{}, e.parallel)
	}
	done := make([]chan struct{}, len(p.Ops))
	ok := make([]bool, len(p.Ops)) // written before done[i] is closed
	for i := range done {
		done[i] = make(chan struct{})
	}
	var (
		errMu    sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for i, op := range p.Ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			for _, d := range op.Deps {
				select {
				case <-done[d-1]:
				case <-ctx.Done():
					return
				}
				if !ok[d-1] {
					return // a dependency failed: skip
				}
			}
			if sem != nil && op.Type != OpWaitService {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
			}
			if ctx.Err() != nil {
				return
			}
			// A create already sent is not cut when another op fails: the
			// runtime would finish it anyway, and only its answer tells
			// rollback what to remove (docs/design.md, Rollback). The caller's own deadline and
			// cancellation still apply.
			opCtx := ctx
			if op.Type == OpCreateContainer || op.Type == OpCreateNetwork || op.Type == OpCreateVolume {
				opCtx = parent
			}
			err := e.run(opCtx, op, rec)
			switch {
			case err == nil:
				ok[i] = true
			case op.Optional:
				// A failed optional dependency (required: false) or a
				// best-effort cleanup does not block what follows.
				e.emit(Event{Resource: resourceOf(op), ID: op.display(), Status: StatusWarning, Text: err.Error()})
				ok[i] = true
			case ctx.Err() != nil && errors.Is(err, context.Canceled):
				// cancelled because another op failed first
			default:
				fail(err)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return core.AsError(err)
	}
	return nil
}

func resourceOf(op *Op) ResourceKind {
	switch op.Type {
	case OpCreateNetwork, OpRemoveNetwork:
		return ResourceNetwork
	case OpCreateVolume, OpRemoveVolume:
		return ResourceVolume
	case OpPullImage, OpBuildImage, OpRemoveImage:
		return ResourceImage
	case OpWaitService:
		return ResourceService
	}
	return ResourceContainer
}

// display is the name events use for op's resource.
func (op *Op) display() string {
	switch {
	case op.Type == OpWaitService:
		return op.Service
	case op.Type == OpCreateContainer && op.Spec != nil && op.Spec.Labels[LabelReplace] != "":
		return op.Spec.Name // the temporary name of a replacement
	case op.Name != "":
		return op.Name
	}
	return op.Target
}

// run performs one op.
func (e *Engine) run(ctx context.Context, op *Op, rec *recorder) error {
	res, id := resourceOf(op), op.display()
	ev := func(st EventStatus, text string) { e.emit(Event{Resource: res, ID: id, Status: st, Text: text}) }
	tolerate := func(err error) error {
		if op.Tolerant && isNotFound(err) {
			return nil
		}
		return err
	}
	failed := func(err error) error {
		ev(StatusError, err.Error())
		return err
	}
	b := e.backend
	switch op.Type {
	case OpCreateNetwork:
		ev(StatusCreating, "")
		if err := b.CreateNetwork(ctx, op.Target, *op.Network); err != nil {
			rec.add(created{kind: ResourceNetwork, id: op.Target, name: op.Target, uncertain: true, cut: ctx.Err() != nil})
			return failed(wrapKind(err, "creating network %q: %v", op.Target, err))
		}
		rec.add(created{kind: ResourceNetwork, id: op.Target, name: op.Target})
		ev(StatusCreated, "")
	case OpCreateVolume:
		ev(StatusCreating, "")
		if err := b.CreateVolume(ctx, op.Target, *op.Volume); err != nil {
			rec.add(created{kind: ResourceVolume, id: op.Target, name: op.Target, uncertain: true, cut: ctx.Err() != nil})
			return failed(wrapKind(err, "creating volume %q: %v", op.Target, err))
		}
		rec.add(created{kind: ResourceVolume, id: op.Target, name: op.Target})
		ev(StatusCreated, "")
	case OpPullImage:
		ev(StatusPulling, "")
		if err := b.PullImage(ctx, op.Target); err != nil {
			return failed(serviceError(core.KindOf(err), op.Service, err, "service %q: pulling image %q: %v", op.Service, op.Target, err))
		}
		ev(StatusPulled, "")
	case OpBuildImage:
		ev(StatusBuilding, "")
		if err := b.Build(ctx, *op.Build, op.Target); err != nil {
			e := serviceError(core.KindOf(err), op.Service, err, "service %q: building image %q: %v", op.Service, op.Target, err)
			if code, ok := core.AsError(err).Details[backend.DetailStepExitCode].(int); ok && code > 0 {
				e = e.With(DetailBuildExitCode, code)
			}
			return failed(e)
		}
		ev(StatusBuilt, "")
	case OpCreateContainer:
		if op.Spec.Labels[LabelReplace] != "" {
			ev(StatusRecreate, "")
		}
		ev(StatusCreating, "")
		h, err := b.Create(ctx, op.Spec)
		if err != nil {
			rec.add(created{kind: ResourceContainer, id: op.Spec.Name, name: op.Spec.Name, service: op.Service, uncertain: true, cut: ctx.Err() != nil})
			return failed(serviceError(core.KindServiceStartupFailed, op.Service, err,
				"service %q: creating container %s: %v", op.Service, op.Spec.Name, err))
		}
		rec.add(created{kind: ResourceContainer, id: h.ID, name: op.Spec.Name, service: op.Service})
		ev(StatusCreated, "")
	case OpStartContainer:
		ev(StatusStarting, "")
		if err := copyInto(ctx, b, op); err != nil {
			return failed(err)
		}
		if err := b.Start(ctx, op.Target); err != nil {
			return failed(serviceError(core.KindServiceStartupFailed, op.Service, err,
				"service %q failed to start: container %s: %v", op.Service, id, err))
		}
		// Started once the post_start hooks are done, as in docker
		// compose: dependents wait for them.
		if err := e.runHooks(ctx, op, op.PostStart, core.KindServiceStartupFailed); err != nil {
			return failed(err)
		}
		ev(StatusStarted, "")
	case OpRestartContainer:
		ev(StatusRestarting, "")
		if err := e.preStop(ctx, op); err != nil {
			return failed(err)
		}
		if err := restart(ctx, b, op.Target, op.Timeout); err != nil {
			return failed(serviceError(core.KindServiceStartupFailed, op.Service, err,
				"service %q failed to restart: container %s: %v", op.Service, id, err))
		}
		if err := e.runHooks(ctx, op, op.PostStart, core.KindServiceStartupFailed); err != nil {
			return failed(err)
		}
		ev(StatusStarted, "") // docker compose's word once a restart is done
	case OpStopContainer:
		ev(StatusStopping, "")
		if err := e.preStop(ctx, op); err != nil {
			return failed(err)
		}
		if err := tolerate(b.Stop(ctx, op.Target, op.Timeout)); err != nil {
			return failed(serviceError(core.KindOf(err), op.Service, err, "service %q: stopping container %s: %v", op.Service, id, err))
		}
		ev(StatusStopped, "")
	case OpKillContainer:
		ev(StatusKilling, "")
		if err := tolerate(b.Kill(ctx, op.Target, op.Signal)); err != nil {
			return failed(serviceError(core.KindOf(err), op.Service, err, "service %q: killing container %s: %v", op.Service, id, err))
		}
		ev(StatusKilled, "")
	case OpRemoveContainer:
		ev(StatusRemoving, "")
		// force: a restart policy may have restarted it since the stop.
		if err := tolerate(b.Remove(ctx, op.Target, true)); err != nil {
			return failed(serviceError(core.KindOf(err), op.Service, err, "service %q: removing container %s: %v", op.Service, id, err))
		}
		ev(StatusRemoved, "")
	case OpRenameContainer:
		if err := b.Rename(ctx, op.Target, op.NewName); err != nil {
			return failed(serviceError(core.KindOf(err), op.Service, err, "service %q: renaming container %s to %s: %v", op.Service, op.Target, op.NewName, err))
		}
		e.emit(Event{Resource: res, ID: op.NewName, Status: StatusRenamed, From: op.Target, Text: "from " + op.Target})
	case OpRemoveNetwork:
		ev(StatusRemoving, "")
		if err := tolerate(b.RemoveNetwork(ctx, op.Target)); err != nil {
			return failed(wrapKind(err, "removing network %q: %v", op.Target, err))
		}
		ev(StatusRemoved, "")
	case OpRemoveVolume:
		ev(StatusRemoving, "")
		if err := tolerate(b.RemoveVolume(ctx, op.Target, false)); err != nil {
			return failed(wrapKind(err, "removing volume %q: %v", op.Target, err))
		}
		ev(StatusRemoved, "")
	case OpRemoveImage:
		ev(StatusRemoving, "")
		if err := tolerate(b.RemoveImage(ctx, op.Target, false)); err != nil {
			return failed(wrapKind(err, "removing image %q: %v", op.Target, err))
		}
		ev(StatusRemoved, "")
	case OpWaitService:
		err := e.waitService(ctx, op.Wait)
		if k := core.KindOf(err); k == core.KindBackendError || k == core.KindTimeout {
			// A runtime call failed or hit the deadline while polling: say
			// what was being waited for (cancellation stays as it is).
			return wrapKind(err, "service %q: waiting for %s: %v", op.Wait.Service, op.Wait.Condition, err)
		}
		return err
	default:
		return core.Errorf(core.KindInternal, "unknown op type %q", op.Type)
	}
	return nil
}

// wrapKind adds context to err's message and keeps its kind and details.
func wrapKind(err error, format string, args ...any) error {
	ce := core.AsError(err)
	out := &core.Error{Kind: ce.Kind, CodeOverride: ce.CodeOverride, Message: fmt.Sprintf(format, args...), Err: err}
	for k, v := range ce.Details {
		out = out.With(k, v)
	}
	return out
}

// retry runs a runtime call up to three times, 300 ms apart, until it
// succeeds or finds nothing: one failed call (a transient error, a killed
// CLI) must not leave a rollback's resource behind, nor fail a wait's look
// at a container.
func retry(ctx context.Context, f func() error) error {
	var err error
	for try := 0; try < 3; try++ {
		if err = f(); err == nil || isNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(300 * time.Millisecond):
		}
	}
	return err
}

// ownedByProject reports whether the resource of a create that failed or
// was cut exists and carries the project's label (then it is this up's: the
// plan creates only what the project lacked). For a container, c.id becomes
// its id.
func (e *Engine) ownedByProject(ctx context.Context, m *model, c *created) bool {
	var labels map[string]string
	switch c.kind {
	case ResourceContainer:
		info, err := e.backend.Inspect(ctx, c.id)
		// A create cut by the caller's deadline may still be finishing in
		// the runtime: look again for a moment before giving up on it.
		for try := 0; c.cut && try < 6 && isNotFound(err); try++ {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(500 * time.Millisecond):
			}
			info, err = e.backend.Inspect(ctx, c.id)
		}
		if err != nil {
			return false
		}
		c.id, labels = info.ID, info.Labels
		if labels[LabelService] != c.service {
			return false
		}
	case ResourceNetwork:
		info, err := e.backend.InspectNetwork(ctx, c.id)
		if err != nil {
			return false
		}
		labels = info.Labels
	case ResourceVolume:
		info, err := e.backend.InspectVolume(ctx, c.id)
		if err != nil {
			return false
		}
		labels = info.Labels
	default:
		return false
	}
	return labels[LabelProject] == m.name
}

// rollback removes, in reverse order, exactly what an up created (docs/design.md, Rollback). It
// runs on a fresh context so that a cancelled up still cleans up, and it
// goes on past failures, returning them all.
func (e *Engine) rollback(ctx context.Context, m *model, rec *recorder, timeout *int) []string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.rollbackTime)
	defer cancel()
	items := rec.list()
	var failures []string
	note := func(c created, err error) {
		if err != nil && !isNotFound(err) {
			failures = append(failures, fmt.Sprintf("%s %s: %v", c.kind, c.name, err))
			e.emit(Event{Resource: c.kind, ID: c.name, Status: StatusError, Text: "rollback: " + err.Error()})
		}
	}
	// Removed or absent: rec and its parent forget them, so a second
	// rollback (or an Up's after this one) does not deal with them again.
	var gone []created
	defer func() { rec.forget(gone) }()
	for i := len(items) - 1; i >= 0; i-- {
		c := items[i]
		if c.uncertain && !e.ownedByProject(ctx, m, &c) {
			gone = append(gone, items[i])
			continue
		}
		if c.kind == resourceStateDir {
			// After the containers that mounted its files (reverse order).
			if err := os.RemoveAll(c.id); err != nil {
				failures = append(failures, fmt.Sprintf("state directory %s: %v", c.id, err))
			} else {
				gone = append(gone, items[i])
			}
			continue
		}
		before := len(failures)
		switch c.kind {
		case ResourceContainer:
			t := timeout
			if s := m.services[c.service]; t == nil && s != nil {
				t = s.stopTimeout
			}
			e.emit(Event{Resource: c.kind, ID: c.name, Status: StatusStopping, Text: "rollback"})
			if err := e.backend.Stop(ctx, c.id, t); err != nil && !isNotFound(err) {
				note(c, err) // still try to remove it
			}
			note(c, retry(ctx, func() error { return e.backend.Remove(ctx, c.id, true) }))
		case ResourceVolume:
			note(c, retry(ctx, func() error { return e.backend.RemoveVolume(ctx, c.id, false) }))
		case ResourceNetwork:
			note(c, retry(ctx, func() error { return e.backend.RemoveNetwork(ctx, c.id) }))
		}
		e.emit(Event{Resource: c.kind, ID: c.name, Status: StatusRemoved, Text: "rollback"})
		if len(failures) == before {
			gone = append(gone, items[i])
		}
	}
	return failures
}

// copyInto writes op's files into its container before the start.
func copyInto(ctx context.Context, b backend.Backend, op *Op) error {
	if len(op.Files) == 0 {
		return nil
	}
	err := backend.Unsupported(b, "write files into a container")
	if w, ok := b.(backend.FileWriter); ok {
		err = w.WriteFiles(ctx, op.Target, op.Files)
	}
	if err != nil {
		return serviceError(core.KindServiceStartupFailed, op.Service, err,
			"service %q: writing its secrets and configs into container %s: %v", op.Service, op.Target, err)
	}
	return nil
}

// restart restarts container id through the runtime's own restart, or as a
// stop then a start where the backend has none.
func restart(ctx context.Context, b backend.Backend, id string, timeout *int) error {
	if r, ok := b.(backend.Restarter); ok {
		if err := r.Restart(ctx, id, timeout); !isUnsupported(err) {
			return err
		}
	}
	if err := b.Stop(ctx, id, timeout); err != nil {
		return err
	}
	return b.Start(ctx, id)
}
