package engine

import (
	"context"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// Hooks for callers that drive Up service by service (workload graphs,
// compose/workload): they run `Up{Services: [s], NoDeps: true}` for one
// service at a time, concurrently, and decide themselves when each may
// start. These two methods give them the parts of Up they cannot get from
// a per-service Up.

// EnsureResources creates the networks and volumes that services use (all services
// when empty), and nothing else: what Up creates before any container.
// Services brought up afterwards with NoDeps find them and create none, so
// concurrent per-service Ups never race to create one network (the Engine
// API and the CLIs would then fail, or create two networks of one name).
// Events report what it creates, like Up's.
func (e *Engine) EnsureResources(ctx context.Context, services []string) error {
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	sel, err := m.selectServices(services, false)
	if err != nil {
		return err
	}
	for _, name := range sel {
		if err := m.services[name].convErr; err != nil {
			return err
		}
	}
	// Under the project's lock, as Up: another process's up of this project
	// would otherwise create the same networks at the same moment.
	unlock, err := e.lockProject(ctx, m.name)
	if err != nil {
		return err
	}
	defer unlock()
	var what observeWhat
	what.addResourcesOf(m, sel)
	obs, err := e.observe(ctx, m, what)
	if err != nil {
		return err
	}
	pl := &upPlanner{m: m, obs: obs, plan: &Plan{}, netOps: map[string]int{}, volOps: map[string]int{}}
	pl.networksAndVolumes(sel)
	e.warn(pl.plan.Warnings)
	return e.execute(ctx, pl.plan, e.sharedRecorder())
}

// WaitFor blocks until the containers of service satisfy condition, exactly
// as Up's depends_on gates wait: service_started, service_healthy (which
// degrades to started, with a warning event, when the service has no
// healthcheck) or service_completed_successfully; polling at most every
// 100 ms, running the healthcheck itself on runtimes that do not (docs/design.md, Healthchecks everywhere), and
// failing at once with a ServiceStartupFailed naming service when a
// container exits or turns unhealthy in a way the condition forbids.
// dependent names the waiting party in that error ("" for none). A service
// without a container is a ServiceStartupFailed too, and so is a container
// still "created" 5 s into the wait: nothing started it, or its runtime
// said it did and did not.
func (e *Engine) WaitFor(ctx context.Context, service, condition, dependent string) error {
	switch condition {
	case types.ServiceConditionStarted, types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully:
	default:
		return core.InvalidArgument("condition", "%q is not service_started, service_healthy or service_completed_successfully", condition)
	}
	m, s, err := e.serviceModel(service)
	if err != nil {
		return err
	}
	cs, err := e.containersOf(ctx, m, []string{service})
	if err != nil {
		return err
	}
	var refs []string
	for _, c := range cs {
		refs = append(refs, c.ID)
	}
	w := s.waitSpec(condition, dependent, refs, false)
	if len(w.Containers) == 0 {
		return e.waitFailure(w, "", nil, "", "has no container")
	}
	return e.waitService(ctx, w)
}
