package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// model builds the engine's view of its project; scale overrides apply.
func (e *Engine) model(scale map[string]int) (*model, error) {
	return buildModel(e.project, modelOptions{scale: scale, extraLabels: e.extraLabels,
		noStartInterval: !e.supports(backend.FeatureHealthStartInterval),
		noHealthcheck:   !e.supports(backend.FeatureHealthcheck),
		noUnsetEnv:      !e.supports(backend.FeatureUnsetEnv),
		classicBuild:    e.supports(backend.FeatureClassicBuild),
		copyFiles:       e.copiesFiles()})
}

// serviceModel is the engine's model and its service name, NotFound when
// the project has no such service.
func (e *Engine) serviceModel(name string) (*model, *service, error) {
	m, err := e.model(nil)
	if err != nil {
		return nil, nil, err
	}
	s, ok := m.services[name]
	if !ok {
		return nil, nil, core.NotFound("service", name).With("service", name)
	}
	return m, s, nil
}

// engineFeatures are the optional features the engine asks its backend about.
var engineFeatures = []string{backend.FeatureHealthStartInterval, backend.FeatureHealthcheck, backend.FeatureUnsetEnv,
	backend.FeatureClassicBuild, backend.FeatureWriteFiles}

// copiesFiles reports whether the backend writes files into a container
// (m.writesFiles is about the state directory on the host).
func (e *Engine) copiesFiles() bool {
	_, ok := e.backend.(backend.FileWriter)
	return ok && e.supports(backend.FeatureWriteFiles)
}

// supports asks the backend once per engine about each optional feature:
// the answer may cost a round trip to the runtime (a version ping), so it
// is bounded and remembered rather than asked on every model.
func (e *Engine) supports(feature string) bool {
	e.featuresOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.features = make(map[string]bool, len(engineFeatures))
		for _, f := range engineFeatures {
			e.features[f] = backend.Supports(ctx, e.backend, f)
		}
	})
	supported, asked := e.features[feature]
	return supported || !asked
}

// Up creates and starts the project's services: networks, then volumes,
// then containers, each service as soon as its own dependencies satisfy
// their depends_on conditions. A second Up with nothing changed changes
// nothing. When it fails, everything this Up created is removed again
// (containers, then volumes, then networks, in reverse creation order),
// unless KeepOnFailure; what existed before is never removed.
func (e *Engine) Up(ctx context.Context, opts UpOptions) error {
	m, services, images, obs, imagePlan, err := e.prepare(ctx, opts)
	if err != nil {
		return err
	}

	// Phase 2: networks, volumes, containers, under the project's lock
	// (lock.go): another command changing the project waits.
	unlock, err := e.lockProject(ctx, m.name)
	if err != nil {
		return err
	}
	defer unlock()
	what := observeWhat{containers: true}
	if !imagePlan.Empty() {
		what.images = images // ids changed
	}
	what.addResourcesOf(m, services)
	obs2, err := e.observe(ctx, m, what)
	if err != nil {
		return err
	}
	if imagePlan.Empty() {
		obs2.images = obs.images
	}
	e.removeDuplicateNetworks(ctx, obs2)
	rec := &recorder{parent: e.sharedRecorder()}
	fail := func(err error) error {
		if opts.KeepOnFailure {
			return err
		}
		if failures := e.rollback(ctx, m, rec, opts.Timeout); len(failures) > 0 {
			return core.AsError(err).With("rollbackErrors", failures)
		}
		return err
	}
	if err := e.useStateDir(m, services, obs2.containers, rec); err != nil {
		return err
	}
	// A network whose definition changed is recreated before the plan,
	// its running containers moved to the new one (netrecreate.go).
	if err := e.recreateChangedNetworks(ctx, m, services, obs2); err != nil {
		return fail(err)
	}
	// Networks first: the containers attach to them by id, which a network
	// has once created.
	if netPlan := planNetworks(m, obs2, services); !netPlan.Empty() {
		if err := e.execute(ctx, netPlan, rec); err != nil {
			return fail(err)
		}
		var mu sync.Mutex
		if err := e.observeNetworks(ctx, m, networksOf(what.networks), obs2, &mu); err != nil {
			return fail(err)
		}
		rec.networkIDs(obs2.networks)
	}
	plan, err := planUp(m, obs2, services, opts)
	if err == nil {
		err = writeFiles(m, services)
	}
	if err != nil {
		e.rollback(ctx, m, rec, nil) // a state directory just made, the networks
		return err
	}
	e.warn(plan.Warnings)
	e.reportOrphans(plan.Orphans, opts.RemoveOrphans)
	err = e.execute(ctx, plan, rec)
	if err == nil && opts.Wait && !opts.NoStart {
		err = e.waitReady(ctx, m, services, opts.WaitTimeout)
	}
	if err == nil {
		return nil
	}
	return fail(err)
}

// networksOf are the networks of nets the project makes (not external ones).
func networksOf(nets []*network) []*network {
	var out []*network
	for _, nw := range nets {
		if !nw.external {
			out = append(out, nw)
		}
	}
	return out
}

// networkIDs makes the networks r recorded by name (their create gives no
// id) known by id, so that a rollback removes exactly the network this up
// made, never another of the same name.
func (r *recorder) networkIDs(byName map[string]core.NetworkInfo) {
	if r == nil {
		return
	}
	r.mu.Lock()
	for i, c := range r.items {
		if info, ok := byName[c.id]; ok && c.kind == ResourceNetwork && !c.uncertain && info.ID != "" {
			r.items[i].id = info.ID
		}
	}
	r.mu.Unlock()
	r.parent.networkIDs(byName)
}

// removeDuplicateNetworks converges a project that has two networks of one
// name (made by concurrent creators): it removes every copy but one, the
// one of lowest id unless the runtime refuses to remove another because a
// running container uses it, in which case that one stays. The containers
// the up creates attach to the one kept, by id. Copies still in use are a
// warning; down removes them all.
func (e *Engine) removeDuplicateNetworks(ctx context.Context, obs *observedState) {
	for _, name := range slices.Sorted(maps.Keys(obs.dupNetworks)) {
		all := append([]core.NetworkInfo{obs.networks[name]}, obs.dupNetworks[name]...)
		kept := all
		for i := len(all) - 1; i >= 0 && len(kept) > 1; i-- {
			n := all[i]
			if err := e.backend.RemoveNetwork(ctx, n.ID); err != nil && !isNotFound(err) {
				continue // in use: it stays
			}
			e.emit(Event{Resource: ResourceNetwork, ID: name, Status: StatusRemoved, Text: "duplicate " + shortID(n.ID)})
			kept = slices.DeleteFunc(kept, func(k core.NetworkInfo) bool { return k.ID == n.ID })
			obs.deduped[name] = true
		}
		obs.networks[name] = kept[0]
		delete(obs.dupNetworks, name)
		if len(kept) > 1 {
			obs.dupNetworks[name] = kept[1:]
			e.warn([]string{fmt.Sprintf("network %s exists %d times and running containers use each copy: new containers join %s; down removes them all",
				name, len(kept), shortID(kept[0].ID))})
		}
	}
}

// PullAndBuild obtains the images an Up with opts would use, pulling and
// building them as opts and the services' pull_policy say (docker compose's
// pull and build commands), and changes nothing else.
func (e *Engine) PullAndBuild(ctx context.Context, opts UpOptions) error {
	_, _, _, _, _, err := e.prepare(ctx, opts)
	return err
}

// prepare is Up's first phase: the model, the selected services, their
// images, and the pulls and builds they need. Nothing here is rolled back:
// images are not resources of the project.
func (e *Engine) prepare(ctx context.Context, opts UpOptions) (*model, []string, []string, *observedState, *Plan, error) {
	m, err := e.model(opts.Scale)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	services, err := m.selectServices(opts.Services, !opts.NoDeps)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	for _, name := range services {
		if err := m.services[name].convErr; err != nil {
			return nil, nil, nil, nil, nil, err // before touching anything
		}
	}
	var images []string
	for _, name := range services {
		images = appendUnique(images, m.services[name].image)
	}
	sort.Strings(images)
	obs, err := e.observe(ctx, m, observeWhat{images: images})
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	imagePlan, err := planImages(m, obs, services, opts)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	e.warn(imagePlan.Warnings)
	if err := e.execute(ctx, imagePlan, nil); err != nil {
		return nil, nil, nil, nil, nil, err
	}
	return m, services, images, obs, imagePlan, nil
}

// waitReady is --wait: every service running (healthy when it has a
// healthcheck), or exited 0 for one-shot services.
func (e *Engine) waitReady(ctx context.Context, m *model, services []string, timeout time.Duration) error {
	obs, err := e.observe(ctx, m, observeWhat{containers: true})
	if err != nil {
		return err
	}
	wctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err = e.execute(wctx, planWait(m, obs, services), nil)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return core.Errorf(core.KindTimeout, "application not healthy after %s", timeout).With("timeout", timeout.String())
	}
	return err
}

func (e *Engine) warn(warnings []string) {
	for _, w := range warnings {
		e.emit(Event{Resource: ResourceService, ID: e.project.Name, Status: StatusWarning, Text: w})
	}
}

func (e *Engine) reportOrphans(orphans []string, removing bool) {
	if len(orphans) == 0 || removing {
		return
	}
	for _, name := range orphans {
		e.emit(Event{Resource: ResourceContainer, ID: name, Status: StatusWarning,
			Text: fmt.Sprintf("orphan container %s: its service is not in the project; remove it with RemoveOrphans", name)})
	}
}

// Down stops and removes the project's containers (dependents first), then
// its networks, and with the options its named volumes, orphans and images.
// External networks and volumes, and resources without the project's
// label, are never removed.
func (e *Engine) Down(ctx context.Context, opts DownOptions) error {
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	unlock, err := e.lockProject(ctx, m.name)
	if err != nil {
		return err
	}
	defer unlock()
	// The networks and volumes by the project's label: every one, duplicates
	// included, and never one of another project that shares a name.
	what := observeWhat{containers: true, labelled: true}
	obs, err := e.observe(ctx, m, what)
	if err != nil {
		return err
	}
	p := planDown(m, obs, opts)
	e.reportOrphans(p.Orphans, opts.RemoveOrphans)
	err = e.execute(ctx, p, nil)
	for _, c := range obs.containers {
		e.health.forget(c.ID)
	}
	if err == nil {
		e.removeStateDirs(m, obs.containers, nil, opts.RemoveOrphans)
		return nil
	}
	// A partial down: the directories of the containers that did go are
	// removed too, or no label would lead a later Down to them; those a
	// remaining container still mounts stay. A fresh, bounded context: the
	// caller's may be what failed.
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if left, oerr := e.observe(octx, m, observeWhat{containers: true}); oerr == nil {
		e.removeStateDirs(m, obs.containers, left.containers, opts.RemoveOrphans)
	}
	return err
}
