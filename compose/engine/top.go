package engine

import (
	"context"
	"slices"
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
// empty; an unknown service has none, as docker compose stats filters by
// label): the running and paused ones, or all with all, sorted by
// container name, as docker compose stats --no-stream shows them. A
// stopped container uses nothing, and is shown so without asking the
// runtime (podman refuses to sample one). A backend without
// backend.StatsReader cannot.
func (e *Engine) Stats(ctx context.Context, services []string, all bool) ([]backend.ContainerStats, error) {
	r, ok := e.backend.(backend.StatsReader)
	if !ok {
		return nil, backend.Unsupported(e.backend, "stats")
	}
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	cs, err := e.containersOf(ctx, m, nil)
	if err != nil {
		return nil, err
	}
	if len(services) > 0 {
		cs = slices.DeleteFunc(cs, func(c observedContainer) bool { return !slices.Contains(services, c.service) })
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	out := []backend.ContainerStats{}
	var live []string // ids sampled, for out[at[k]]
	var at []int
	for _, c := range cs {
		switch {
		case c.State == "running" || c.State == "paused":
			live, at = append(live, c.ID), append(at, len(out))
		case !all:
			continue
		}
		out = append(out, backend.ContainerStats{ID: c.ID, Name: c.Name, CPUPerc: "0.00%", MemUsage: "0B / 0B", MemPerc: "0.00%",
			NetIO: "0B / 0B", BlockIO: "0B / 0B", PIDs: "0"})
	}
	if len(live) == 0 {
		return out, nil
	}
	st, err := r.Stats(ctx, live)
	if err != nil {
		return nil, err
	}
	if len(st) != len(live) {
		return nil, core.Errorf(core.KindBackendError, "%s reported stats of %d containers, asked for %d", e.backend.Name(), len(st), len(live))
	}
	for k, s := range st {
		s.ID, s.Name = out[at[k]].ID, out[at[k]].Name // the project's words for them
		out[at[k]] = s
	}
	return out, nil
}
