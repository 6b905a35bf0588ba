package engine

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// observedState is one snapshot of the project's resources, taken by label
// (containers) and by name (the networks, volumes and images the project
// uses). The planner reads nothing else.
type observedState struct {
	containers []observedContainer         // sorted by service, number, name
	networks   map[string]core.NetworkInfo // by name, the ones that exist
	volumes    map[string]core.VolumeInfo  // by name, the ones that exist
	images     map[string]string           // reference → image id, the ones present
}

type observedContainer struct {
	core.ContainerInfo
	service string
	number  int
}

func (c observedContainer) hash() string      { return c.Labels[LabelConfigHash] }
func (c observedContainer) imageID() string   { return c.Labels[LabelImage] }
func (c observedContainer) running() bool     { return c.State == "running" }
func (c observedContainer) startable() bool   { return c.State == "created" || c.State == "exited" }
func (c observedContainer) projectOf() string { return c.Labels[LabelProject] }

// byService returns the containers of one service.
func (o *observedState) byService(name string) []observedContainer {
	var out []observedContainer
	for _, c := range o.containers {
		if c.service == name {
			out = append(out, c)
		}
	}
	return out
}

// observeWhat selects what to look at besides the project's containers.
type observeWhat struct {
	containers bool
	networks   []*network
	volumes    []*volume
	images     []string
}

// addResourcesOf adds the networks and volumes the services use, each
// once however many services share it.
func (w *observeWhat) addResourcesOf(m *model, services []string) {
	var nets, vols []string
	for _, name := range services {
		for _, k := range m.services[name].networkKeys {
			nets = appendUnique(nets, k)
		}
		for _, k := range m.services[name].volumeKeys {
			vols = appendUnique(vols, k)
		}
	}
	for _, k := range nets {
		w.networks = append(w.networks, m.networks[k])
	}
	for _, k := range vols {
		w.volumes = append(w.volumes, m.volumes[k])
	}
}

// observe takes the snapshot. External networks and volumes must exist: a
// missing one is a NotFound naming it, before anything is changed.
func (e *Engine) observe(ctx context.Context, m *model, what observeWhat) (*observedState, error) {
	o := &observedState{
		networks: map[string]core.NetworkInfo{},
		volumes:  map[string]core.VolumeInfo{},
		images:   map[string]string{},
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	if e.parallel > 0 {
		g.SetLimit(e.parallel)
	}
	if what.containers {
		g.Go(func() error { return e.listContainers(gctx, m, o, &mu) })
	}
	for _, nw := range what.networks {
		g.Go(func() error {
			info, err := e.backend.InspectNetwork(gctx, nw.name)
			if isNotFound(err) {
				if nw.external {
					return core.Errorf(core.KindNotFound, "external network %q not found (declared as %q): create it first", nw.name, nw.key).
						With("network", nw.name).With("id", nw.name)
				}
				return nil
			}
			if err != nil {
				return wrapKind(err, "inspecting network %q: %v", nw.name, err)
			}
			mu.Lock()
			o.networks[nw.name] = info
			mu.Unlock()
			return nil
		})
	}
	for _, vol := range what.volumes {
		g.Go(func() error {
			info, err := e.backend.InspectVolume(gctx, vol.name)
			if isNotFound(err) {
				if vol.external {
					return core.Errorf(core.KindNotFound, "external volume %q not found (declared as %q): create it first", vol.name, vol.key).
						With("volume", vol.name).With("id", vol.name)
				}
				return nil
			}
			if err != nil {
				return wrapKind(err, "inspecting volume %q: %v", vol.name, err)
			}
			mu.Lock()
			o.volumes[vol.name] = info
			mu.Unlock()
			return nil
		})
	}
	for _, ref := range what.images {
		g.Go(func() error {
			img, err := e.backend.InspectImage(gctx, ref)
			if isNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapKind(err, "inspecting image %q: %v", ref, err)
			}
			mu.Lock()
			o.images[ref] = img.ID
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Stable order, so that repeated runs plan the same way.
	sort.Slice(o.containers, func(i, j int) bool {
		a, b := o.containers[i], o.containers[j]
		if a.service != b.service {
			return a.service < b.service
		}
		if a.number != b.number {
			return a.number < b.number
		}
		return a.Name < b.Name
	})
	return o, nil
}

// listContainers lists the project's containers (one-off ones excluded).
func (e *Engine) listContainers(ctx context.Context, m *model, o *observedState, mu *sync.Mutex) error {
	list, err := e.backend.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{LabelProject: m.name, LabelOneoff: "False"}})
	if err != nil {
		return wrapKind(err, "listing the containers of project %q: %v", m.name, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range list {
		n, _ := strconv.Atoi(c.Labels[LabelNumber])
		o.containers = append(o.containers, observedContainer{ContainerInfo: c, service: c.Labels[LabelService], number: n})
	}
	return nil
}

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, core.ErrNotFound)
}
