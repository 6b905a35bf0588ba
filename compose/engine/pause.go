package engine

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Progress statuses of pause and unpause.
const (
	StatusPaused   EventStatus = "Paused"
	StatusUnpaused EventStatus = "Unpaused"
)

// Pause pauses the containers of services (all when empty) that are up,
// as docker compose pause does. A backend without backend.Pauser cannot.
func (e *Engine) Pause(ctx context.Context, services []string) error {
	return e.pauseOrUnpause(ctx, services, true)
}

// Unpause resumes the containers of services (all when empty) that are up.
func (e *Engine) Unpause(ctx context.Context, services []string) error {
	return e.pauseOrUnpause(ctx, services, false)
}

func (e *Engine) pauseOrUnpause(ctx context.Context, services []string, pause bool) error {
	op, done := "unpause", StatusUnpaused
	if pause {
		op, done = "pause", StatusPaused
	}
	p, ok := e.backend.(backend.Pauser)
	if !ok {
		return backend.Unsupported(e.backend, op)
	}
	_, sel, obs, err := e.selected(ctx, services, false)
	if err != nil {
		return err
	}
	var targets []observedContainer
	for _, name := range sel {
		for _, c := range obs.byService(name) {
			// Every container that is up, as docker compose does: pausing
			// a paused one (or unpausing a running one) is the runtime's
			// error.
			if c.up() {
				targets = append(targets, c)
			}
		}
	}
	return e.forEach(ctx, targets, func(ctx context.Context, c observedContainer) error {
		call := p.Unpause
		if pause {
			call = p.Pause
		}
		if err := call(ctx, c.ID); err != nil {
			return serviceError(core.KindOf(err), c.service, err, "service %q: %s %s: %v", c.service, op, c.Name, err)
		}
		e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: done})
		return nil
	})
}

// forEach runs fn on every container at once (at most the engine's
// parallel limit), as docker compose does for commands without an order;
// the first error is returned once all have ended.
func (e *Engine) forEach(ctx context.Context, cs []observedContainer, fn func(context.Context, observedContainer) error) error {
	var g errgroup.Group
	if e.parallel > 0 {
		g.SetLimit(e.parallel)
	}
	for _, c := range cs {
		g.Go(func() error { return fn(ctx, c) })
	}
	return g.Wait()
}
