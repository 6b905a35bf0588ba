package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/perryts/perry-container/backend"
)

// ContainerEvent is an event of one of the project's containers, as docker
// compose events reports it: the compose labels (and the engine's own,
// io.perry.*) are left out of the attributes (the service is its own
// field).
type ContainerEvent struct {
	Time       time.Time
	Service    string
	Container  string // the container's id
	Action     string // create, start, die, pause, …
	Attributes map[string]string
}

// EventsOptions select events: of services (all when empty), from Since,
// until Until (see backend.EventsOptions).
type EventsOptions struct {
	Services     []string
	Since, Until string
}

// Events streams the events of the project's containers, one-off
// containers excepted, until ctx ends or opts.Until passes. A backend
// without backend.Eventer cannot.
func (e *Engine) Events(ctx context.Context, opts EventsOptions, sink func(ContainerEvent)) error {
	services := opts.Services
	ev, ok := e.backend.(backend.Eventer)
	if !ok {
		return backend.Unsupported(e.backend, "stream events")
	}
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	bo := backend.EventsOptions{Labels: map[string]string{LabelProject: m.name}, Since: opts.Since, Until: opts.Until}
	return ev.Events(ctx, bo, func(c backend.ContainerEvent) {
		if c.Attributes[LabelOneoff] == "True" {
			return
		}
		service := c.Attributes[LabelService]
		if len(services) > 0 && !slices.Contains(services, service) {
			return
		}
		attrs := map[string]string{}
		for k, v := range c.Attributes {
			if !strings.HasPrefix(k, "com.docker.compose.") && !strings.HasPrefix(k, "io.perry.") {
				attrs[k] = v
			}
		}
		sink(ContainerEvent{Time: c.Time, Service: service, Container: c.ID, Action: c.Action, Attributes: attrs})
	})
}
