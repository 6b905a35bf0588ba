package engine

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// PushOptions tune Push.
type PushOptions struct {
	// Services whose images are pushed; all when empty.
	Services []string
	// IncludeDeps pushes the images of the services' dependencies too.
	IncludeDeps bool
	// IgnoreFailures reports a failed push as a warning and goes on.
	IgnoreFailures bool
}

// Push uploads the images the project builds to their registries (docker
// compose push): those of services with both build and image, with their
// build's extra tags; the others
// are skipped, as docker compose skips them. Pushes run in parallel,
// within the parallel limit. A failed push fails Push, naming the service,
// unless IgnoreFailures.
func (e *Engine) Push(ctx context.Context, opts PushOptions) error {
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	services, err := m.selectServices(opts.Services, opts.IncludeDeps)
	if err != nil {
		return err
	}
	p, ok := e.backend.(backend.Pusher)
	if !ok {
		return backend.Unsupported(e.backend, "push")
	}
	var g errgroup.Group
	if e.parallel > 0 {
		g.SetLimit(e.parallel)
	}
	for _, name := range services {
		s := m.services[name]
		if s.cfg.Build == nil || s.cfg.Image == "" {
			e.emit(Event{Resource: ResourceService, ID: name, Status: StatusSkipped})
			continue
		}
		// The build's extra tags go too, as docker compose pushes them.
		for _, tag := range append([]string{s.image}, s.cfg.Build.Tags...) {
			g.Go(func() error {
				e.emit(Event{Resource: ResourceImage, ID: tag, Status: StatusPushing})
				err := p.PushImage(ctx, tag)
				switch {
				case err == nil:
					e.emit(Event{Resource: ResourceImage, ID: tag, Status: StatusPushed})
					return nil
				case opts.IgnoreFailures && ctx.Err() == nil:
					e.emit(Event{Resource: ResourceImage, ID: tag, Status: StatusWarning, Text: err.Error()})
					return nil
				}
				e.emit(Event{Resource: ResourceImage, ID: tag, Status: StatusError, Text: err.Error()})
				return serviceError(core.KindOf(err), name, err, "service %q: pushing image %q: %v", name, tag, err)
			})
		}
	}
	return g.Wait()
}
