package engine

import (
	"context"
	"sort"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// ContainerProcesses is the process table of one container of the project.
type ContainerProcesses struct {
	Container
	backend.Processes
}

// Top lists the processes of the running (or paused) containers of
// services (all when empty), sorted by container name, as docker compose
// top does. A backend without backend.Topper cannot.
func (e *Engine) Top(ctx context.Context, services []string) ([]ContainerProcesses, error) {
	t, ok := e.backend.(backend.Topper)
	if !ok {
		return nil, backend.Unsupported(e.backend, "top")
	}
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	cs, err := e.containersOf(ctx, m, services)
	if err != nil {
		return nil, err
	}
	out := []ContainerProcesses{}
	for _, c := range cs {
		if c.State != "running" && c.State != "paused" {
			continue
		}
		p, err := t.Top(ctx, c.ID)
		if err != nil {
			return nil, serviceError(core.KindOf(err), c.service, err, "service %q: top of %s: %v", c.service, c.Name, err)
		}
		out = append(out, ContainerProcesses{Container: containerOf(c), Processes: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Stats samples the resource use of the containers of services (all when
// empty): the running and paused ones, or all with all (a stopped one
// shows nothing used), sorted by container name, as docker compose stats
// --no-stream shows them. A backend without backend.StatsReader cannot.
func (e *Engine) Stats(ctx context.Context, services []string, all bool) ([]backend.ContainerStats, error) {
	r, ok := e.backend.(backend.StatsReader)
	if !ok {
		return nil, backend.Unsupported(e.backend, "stats")
	}
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	cs, err := e.containersOf(ctx, m, services)
	if err != nil {
		return nil, err
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	var ids []string
	for _, c := range cs {
		if all || c.State == "running" || c.State == "paused" {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return []backend.ContainerStats{}, nil
	}
	return r.Stats(ctx, ids)
}
