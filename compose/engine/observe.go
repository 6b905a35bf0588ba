package engine

import (
	"context"
	"errors"
	"slices"
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
	networks   map[string]core.NetworkInfo // by name, the ones that exist (of duplicates, the one kept)
	volumes    map[string]core.VolumeInfo  // by name, the ones that exist
	images     map[string]string           // reference → image id, the ones present
	// dupNetworks are, by name, the project's other networks of that name
	// and key: Docker allows two networks of one name, and two concurrent
	// creators (another tool, an older perry-compose) can make them.
	dupNetworks map[string][]core.NetworkInfo
	// deduped are the names whose duplicates an up removed: a container
	// that is not running may have been attached to one of them.
	deduped map[string]bool
	// projectNetworks and projectVolumes are every network and volume
	// carrying the project's label (observeWhat.labelled), duplicates included.
	projectNetworks []core.NetworkInfo
	projectVolumes  []core.VolumeInfo
	labelled        bool // projectNetworks and projectVolumes were listed
	// byID: containers attach to networks by id, never by a name two
	// networks may share (the runtimes that allow that: see attachByID).
	byID bool
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

// copies are the files of s to write into c at its start: none into a
// container made to bind them.
func (c observedContainer) copies(s *service) []backend.File {
	if c.Labels[LabelCopiedFiles] == "" {
		return nil
	}
	return s.copies
}

// up is what `docker ps` lists without -a: a container not stopped.
func (c observedContainer) up() bool {
	return c.State == "running" || c.State == "paused" || c.State == "restarting"
}

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

// attachByID rewrites spec's networks that the snapshot knows by name to
// their ids, so that a container is attached to the network the project
// uses, never to whichever of two of one name the runtime picks (or to an
// "ambiguous" error). Only Docker, and the fake engine that mimics it,
// allow two networks of one name; podman and nerdctl refuse them, and
// nerdctl knows its networks by name only.
func (o *observedState) attachByID(spec *core.ContainerSpec) {
	if !o.byID {
		return
	}
	if info, ok := o.networks[spec.Network]; ok && info.ID != "" {
		spec.Network = info.ID
	}
	if len(spec.Networks) > 0 {
		spec.Networks = slices.Clone(spec.Networks)
		for i, a := range spec.Networks {
			if info, ok := o.networks[a.Name]; ok && info.ID != "" {
				spec.Networks[i].Name = info.ID
			}
		}
	}
}

// detached names a network of c whose duplicates this up removed when c is
// not running: it may have been attached to one of them (a runtime refuses
// to remove a network only while a running container uses it), so it is
// recreated. "" when none.
func (o *observedState) detached(c observedContainer) string {
	if c.up() {
		return ""
	}
	for _, n := range c.Networks {
		if o.deduped[n] {
			return n
		}
	}
	return ""
}

// observeWhat selects what to look at besides the project's containers.
type observeWhat struct {
	containers bool
	networks   []*network
	volumes    []*volume
	images     []string
	// labelled lists every network and volume carrying the project's label
	// (what down removes).
	labelled bool
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
		byID:        attachesByID(e.backend.Name()),
		networks:    map[string]core.NetworkInfo{},
		dupNetworks: map[string][]core.NetworkInfo{},
		deduped:     map[string]bool{},
		volumes:     map[string]core.VolumeInfo{},
		images:      map[string]string{},
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	if e.parallel > 0 {
		g.SetLimit(e.parallel)
	}
	if what.containers {
		g.Go(func() error { return e.listContainers(gctx, m, o, &mu) })
	}
	var owned []*network
	for _, nw := range what.networks {
		if !nw.external {
			owned = append(owned, nw)
			continue
		}
		g.Go(func() error {
			info, err := e.backend.InspectNetwork(gctx, nw.name)
			if isNotFound(err) {
				return core.Errorf(core.KindNotFound, "external network %q not found (declared as %q): create it first", nw.name, nw.key).
					With("network", nw.name).With("id", nw.name)
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
	if len(owned) > 0 || what.labelled {
		g.Go(func() error { return e.observeNetworks(gctx, m, owned, o, &mu) })
	}
	o.labelled = what.labelled
	if what.labelled {
		g.Go(func() error {
			list, err := e.backend.ListVolumes(gctx, map[string]string{LabelProject: m.name})
			if err != nil {
				return wrapKind(err, "listing the volumes of project %q: %v", m.name, err)
			}
			mu.Lock()
			o.projectVolumes = list
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

// observeNetworks finds the project's networks by label, never by a name
// that two networks may share: those labelled with the project and the
// network's key, named as the project names it. Of duplicates, the one of
// lowest id is kept in o.networks (every process chooses the same) and the
// others go to o.dupNetworks. A network found by no label is looked up by
// name, as before the label existed (one another tool made).
func (e *Engine) observeNetworks(ctx context.Context, m *model, owned []*network, o *observedState, mu *sync.Mutex) error {
	list, err := e.backend.ListNetworks(ctx, map[string]string{LabelProject: m.name})
	if err != nil {
		return wrapKind(err, "listing the networks of project %q: %v", m.name, err)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	found := map[string][]core.NetworkInfo{}
	for _, n := range list {
		if n.Labels[LabelProject] == m.name { // a runtime may filter loosely
			found[n.Labels[LabelNetwork]+"\x00"+n.Name] = append(found[n.Labels[LabelNetwork]+"\x00"+n.Name], n)
		}
	}
	mu.Lock()
	o.projectNetworks = list
	mu.Unlock()
	for _, nw := range owned {
		same := found[nw.key+"\x00"+nw.name]
		if len(same) == 0 {
			info, err := e.backend.InspectNetwork(ctx, nw.name)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return wrapKind(err, "inspecting network %q: %v", nw.name, err)
			}
			same = []core.NetworkInfo{info}
		}
		mu.Lock()
		o.networks[nw.name] = same[0]
		if len(same) > 1 {
			o.dupNetworks[nw.name] = same[1:]
		}
		mu.Unlock()
	}
	return nil
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

// attachesByID reports whether containers of a backend attach to networks by id.
func attachesByID(backendName string) bool { return backendName == "docker" || backendName == "fake" }

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, core.ErrNotFound)
}
