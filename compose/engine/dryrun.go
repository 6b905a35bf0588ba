package engine

import (
	"context"
	"maps"
	"slices"
	"sort"
)

// Dry runs (docker compose --dry-run): the plans Up and Down would execute,
// computed from the runtime's present state by the same planners, and
// reported as progress events without a single change.

// PlanUp returns what Up would do now, in order: the image plan (pulls,
// builds) and the plan of networks, volumes and containers. An image an Up would
// build or pull first is planned as if it changed nothing, so the
// container plan may differ from the one an Up makes after the build.
func (e *Engine) PlanUp(ctx context.Context, opts UpOptions) ([]*Plan, error) {
	m, err := e.model(opts.Scale)
	if err != nil {
		return nil, err
	}
	services, err := m.selectServices(opts.Services, !opts.NoDeps)
	if err != nil {
		return nil, err
	}
	for _, name := range services {
		if err := m.services[name].convErr; err != nil {
			return nil, err
		}
	}
	var images []string
	for _, name := range services {
		images = appendUnique(images, m.services[name].image)
	}
	sort.Strings(images)
	what := observeWhat{containers: true, images: images}
	what.addResourcesOf(m, services)
	obs, err := e.observe(ctx, m, what)
	if err != nil {
		return nil, err
	}
	imagePlan, err := planImages(m, obs, services, opts)
	if err != nil {
		return nil, err
	}
	upPlan, err := planUp(m, obs, services, opts)
	if err != nil {
		return nil, err
	}
	return []*Plan{imagePlan, planNetworkRecreates(m, obs, services), upPlan}, nil
}

// PlanDown returns what Down would do now.
func (e *Engine) PlanDown(ctx context.Context, opts DownOptions) (*Plan, error) {
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	// The project's networks and volumes by name, as every version of Down
	// looked them up.
	what := observeWhat{containers: true}
	for _, k := range slices.Sorted(maps.Keys(m.networks)) {
		if !m.networks[k].external {
			what.networks = append(what.networks, m.networks[k])
		}
	}
	if opts.Volumes {
		for _, k := range slices.Sorted(maps.Keys(m.volumes)) {
			if !m.volumes[k].external {
				what.volumes = append(what.volumes, m.volumes[k])
			}
		}
	}
	obs, err := e.observe(ctx, m, what)
	if err != nil {
		return nil, err
	}
	return planDown(m, obs, opts), nil
}

// DryRunUp reports, as progress events, what Up would do, and does
// nothing.
func (e *Engine) DryRunUp(ctx context.Context, opts UpOptions) error {
	plans, err := e.PlanUp(ctx, opts)
	if err != nil {
		return err
	}
	for _, p := range plans {
		e.warn(p.Warnings)
	}
	e.reportOrphans(plans[len(plans)-1].Orphans, opts.RemoveOrphans)
	e.Simulate(plans...)
	return nil
}

// DryRunDown reports, as progress events, what Down would do, and does
// nothing.
func (e *Engine) DryRunDown(ctx context.Context, opts DownOptions) error {
	p, err := e.PlanDown(ctx, opts)
	if err != nil {
		return err
	}
	e.reportOrphans(p.Orphans, opts.RemoveOrphans)
	e.Simulate(p)
	return nil
}

// Simulate emits the events the executor would emit for each op of the
// plans, in order, as if every op succeeded, without calling the backend.
// An op repeated (the same create twice) is reported once.
func (e *Engine) Simulate(plans ...*Plan) {
	seen := map[string]bool{}
	for _, p := range plans {
		for _, op := range p.Ops {
			key := string(op.Type) + "\x00" + op.Target
			if seen[key] {
				continue
			}
			seen[key] = true
			res, id := resourceOf(op), op.display()
			ev := func(st EventStatus) { e.emit(Event{Resource: res, ID: id, Status: st}) }
			switch op.Type {
			case OpCreateNetwork, OpCreateVolume:
				ev(StatusCreating)
				ev(StatusCreated)
			case OpPullImage:
				ev(StatusPulling)
				ev(StatusPulled)
			case OpBuildImage:
				ev(StatusBuilding)
				ev(StatusBuilt)
			case OpCreateContainer:
				if op.Spec != nil && op.Spec.Labels[LabelReplace] != "" {
					ev(StatusRecreate)
				}
				ev(StatusCreating)
				ev(StatusCreated)
			case OpStartContainer:
				ev(StatusStarting)
				ev(StatusStarted)
			case OpStopContainer:
				ev(StatusStopping)
				ev(StatusStopped)
			case OpRestartContainer:
				ev(StatusRestarting)
				ev(StatusStarted)
			case OpKillContainer:
				ev(StatusKilling)
				ev(StatusKilled)
			case OpRemoveContainer, OpRemoveNetwork, OpRemoveVolume, OpRemoveImage:
				ev(StatusRemoving)
				ev(StatusRemoved)
			case OpRenameContainer:
				e.emit(Event{Resource: res, ID: op.NewName, Status: StatusRenamed, From: op.Target, Text: "from " + op.Target})
			}
			// A wait has nothing to wait for: no container changed.
		}
	}
}
