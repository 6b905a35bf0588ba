package main

import (
	"context"
	"time"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// ComposeEvent is one item of js_container_compose_events' chunks: a
// lifecycle event of a stack's container, in docker compose events --json's
// shape.
type ComposeEvent struct {
	// Time is when the runtime reports the event (RFC 3339, nanoseconds).
	Time string `json:"time"`
	// Type is always "container".
	Type string `json:"type"`
	// Action is the runtime's word: create, start, die, kill, stop, pause,
	// unpause, "health_status: healthy", destroy, …
	Action  string `json:"action"`
	ID      string `json:"id"`
	Service string `json:"service"`
	// Attributes are the container's name, image and labels (compose's
	// own left out), and exitCode on die.
	Attributes map[string]string `json:"attributes"`
}

// ComposeEventsOptions is opts_json of js_container_compose_events.
type ComposeEventsOptions struct {
	// Services limits the events to these services (none: all).
	Services []string `json:"services,omitempty"`
	// Since replays the events from this time on before following new
	// ones: a Unix time in seconds, an RFC 3339 time or a duration before
	// now ("10m"), as docker events takes it; none: from now on.
	Since string `json:"since,omitempty"`
}

// composeEvents streams the events of the stack's containers from now on
// (or from opts.since) until the call is cancelled. It never ends by
// itself: a runtime that closes its stream ends it with BackendError.
// Read-only: it holds no lock of the handle.
func (c *hostCtx) composeEvents(ctx context.Context, h int64, opts arg, send func([]byte)) (any, error) {
	var o ComposeEventsOptions
	if _, err := opts.json(&o); err != nil {
		return nil, err
	}
	_, err := stream(ctx, send, eventSize, func(emit func(ComposeEvent) error) error {
		_, err := c.readStack(h, func(s *stack) (any, error) {
			for _, name := range o.Services {
				if _, ok := s.project().Services[name]; !ok {
					return nil, core.NotFound("service", name).With("service", name)
				}
			}
			err := s.engine().Events(ctx, engine.EventsOptions{Services: o.Services, Since: o.Since}, func(ev engine.ContainerEvent) {
				// Once the call ended emit fails at once; the engine's
				// stream stops with the same context.
				_ = emit(ComposeEvent{
					Time:       ev.Time.UTC().Format(time.RFC3339Nano),
					Type:       "container",
					Action:     ev.Action,
					ID:         ev.Container,
					Service:    ev.Service,
					Attributes: ev.Attributes,
				})
			})
			if err == nil && ctx.Err() == nil {
				// The runtime closed its stream (a restarted daemon): the
				// host must not take that for a finished stream.
				err = core.Errorf(core.KindBackendError, "the runtime's event stream of project %q ended", s.project().Name)
			}
			return nil, err
		})
		return err
	})
	return nil, err
}

// eventSize is an event's share of a chunk's byte bound.
func eventSize(ev ComposeEvent) int {
	n := len(ev.Action) + len(ev.ID) + len(ev.Service) + 64
	for k, v := range ev.Attributes {
		n += len(k) + len(v) + 6
	}
	return n
}
