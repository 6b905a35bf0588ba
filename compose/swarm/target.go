// Package swarm runs compose projects on Docker Swarm with the compose
// engine's dependency plan (docs/design.md, Swarm target): services are
// created level by level of compose/graph's DAG, each only once its
// dependencies meet their depends_on conditions in Swarm terms, and a failed
// up removes exactly the objects it created. Objects are named and labelled
// as `docker stack deploy` names them, so either tool sees and removes the
// other's stacks.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/core"
)

// Target deploys compose projects on the swarm of one manager. It is safe
// for concurrent use.
type Target struct {
	c    *bswarm.Client
	node bswarm.NodeInfo
	// Poll is how often a gate reads the tasks (default 200 ms).
	Poll time.Duration
	// Observe, when set, is called with each engine call that changes
	// state ("create service x", "update service x", …): tests count them.
	Observe func(op string)
}

// New connects to the engine at host ("" for the environment's) and checks
// that it is a swarm manager: when it is not, the error is
// BackendNotAvailable saying how to make it one (`docker swarm init`).
func New(ctx context.Context, host string) (*Target, error) {
	c, err := bswarm.New(host)
	if err != nil {
		return nil, err
	}
	t, err := FromClient(ctx, c)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return t, nil
}

// FromClient uses an existing Swarm client (see New).
func FromClient(ctx context.Context, c *bswarm.Client) (*Target, error) {
	n, err := c.RequireManager(ctx)
	if err != nil {
		return nil, err
	}
	return &Target{c: c, node: n, Poll: 200 * time.Millisecond}, nil
}

// Client is the Swarm client the target uses.
func (t *Target) Client() *bswarm.Client { return t.c }

// Close closes the client New made.
func (t *Target) Close() error { return t.c.Close() }

func (t *Target) observe(op string) {
	if t.Observe != nil {
		t.Observe(op)
	}
}

// UpOptions configure Up.
type UpOptions struct {
	// Wait waits, after the last level, until every service meets the
	// condition a dependent would wait for: running (healthy when it has a
	// healthcheck), jobs completed.
	Wait bool
	// Timeout bounds each gate (default 2 minutes).
	Timeout time.Duration
	// KeepOnFailure keeps what a failed up created instead of removing it.
	KeepOnFailure bool
	// RemoveOrphans removes the stack's services that are no longer in the
	// project (docker stack deploy --prune), once the others are deployed.
	RemoveOrphans bool
	// Services, when set, deploys only these services and what they depend
	// on (transitively); the other services are left as they are.
	Services []string
	// Progress, when set, receives one line per step.
	Progress io.Writer
}

// DownOptions configure Down.
type DownOptions struct {
	// Volumes also removes the stack's named volumes on this node.
	Volumes bool
}

// recorder is what an up created, in creation order.
type recorder struct {
	mu       sync.Mutex
	services []string
	updated  []string // services this up updated: rolled back to their previous spec
	networks []string
	secrets  []string
	configs  []string
}

func (r *recorder) add(list *[]string, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, id)
}

// Up deploys p. Each service is created (or updated when its spec changed,
// or left alone when it did not) once every dependency meets its condition;
// services of one level of the DAG go in parallel. A failure names the
// service and its task's error and, unless KeepOnFailure, removes exactly
// the services, networks, secrets and configs this up created.
func (t *Target) Up(ctx context.Context, p *types.Project, opts UpOptions) (err error) {
	pl, err := Convert(p, t.imagePresent(ctx))
	if err != nil {
		return err
	}
	g, err := graph.Build(p)
	if err != nil {
		return err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	deps := map[string][]types.ServiceDependency{}
	depNames := map[string][]string{}
	for _, e := range g.Edges {
		d, ok := p.Services[e.From].DependsOn[e.To]
		if !ok {
			d = types.ServiceDependency{Condition: types.ServiceConditionStarted}
		}
		deps[e.From] = append(deps[e.From], d)
		depNames[e.From] = append(depNames[e.From], e.To)
	}
	selected, err := selectServices(pl, depNames, opts.Services)
	if err != nil {
		return err
	}
	rec := &recorder{}
	defer func() {
		if err != nil && !opts.KeepOnFailure {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if rerr := t.rollback(rctx, rec); rerr != nil {
				// the engine's detail for what a rollback could not remove
				err = core.AsError(err).With("rollbackErrors", strings.Split(rerr.Error(), "\n"))
			}
		}
	}()
	ids, err := t.ensureObjects(ctx, pl, rec, opts)
	if err != nil {
		return err
	}
	existing, err := t.c.ListServices(ctx, map[string]string{LabelNamespace: p.Name})
	if err != nil {
		return err
	}
	byName := map[string]swarm.Service{}
	for _, s := range existing {
		byName[s.Spec.Name] = s
	}

	gates := &gateCache{m: map[string]*gateResult{}}
	for _, level := range graph.Levels(g) {
		eg, gctx := errgroup.WithContext(ctx)
		for _, name := range level {
			if !selected[name] {
				continue
			}
			sp := pl.Services[name]
			eg.Go(func() error {
				for i, dep := range depNames[name] {
					if pl.Services[dep] == nil {
						continue
					}
					if err := gates.wait(gctx, t, pl.Services[dep], deps[name][i].Condition, opts.Timeout); err != nil {
						return err
					}
				}
				return t.apply(gctx, sp, byName, ids, rec, opts)
			})
		}
		if err := eg.Wait(); err != nil {
			return err
		}
	}
	if len(opts.Services) == 0 {
		if err := t.orphans(ctx, pl, existing, opts); err != nil {
			return err
		}
	}
	if opts.Wait {
		eg, gctx := errgroup.WithContext(ctx)
		for _, name := range g.Nodes {
			if !selected[name] {
				continue
			}
			sp := pl.Services[name]
			cond := types.ServiceConditionStarted
			switch {
			case sp.Job:
				cond = types.ServiceConditionCompletedSuccessfully
			case sp.Healthcheck:
				cond = types.ServiceConditionHealthy
			}
			eg.Go(func() error { return gates.wait(gctx, t, sp, cond, opts.Timeout) })
		}
		return eg.Wait()
	}
	return nil
}

// selectServices is the set of services an up deploys: all, or the named
// ones and everything they depend on.
func selectServices(pl *Plan, deps map[string][]string, names []string) (map[string]bool, error) {
	sel := map[string]bool{}
	if len(names) == 0 {
		for name := range pl.Services {
			sel[name] = true
		}
		return sel, nil
	}
	var add func(string)
	add = func(n string) {
		if sel[n] {
			return
		}
		sel[n] = true
		for _, d := range deps[n] {
			if pl.Services[d] != nil {
				add(d)
			}
		}
	}
	for _, n := range names {
		if pl.Services[n] == nil {
			return nil, core.NotFound("service", n).With("service", n)
		}
		add(n)
	}
	return sel, nil
}

// orphans removes (RemoveOrphans) or reports the stack's services that are
// not in the plan.
func (t *Target) orphans(ctx context.Context, pl *Plan, existing []swarm.Service, opts UpOptions) error {
	want := map[string]bool{}
	for _, sp := range pl.Services {
		want[sp.Spec.Name] = true
	}
	var ids, names []string
	for _, s := range existing {
		if !want[s.Spec.Name] {
			ids = append(ids, s.ID)
			names = append(names, s.Spec.Name)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if !opts.RemoveOrphans {
		t.progress(opts, "Found orphan services (%s) for this project. If you removed or renamed them in your compose file, run up with --remove-orphans to remove them.", strings.Join(names, ", "))
		return nil
	}
	for i, id := range ids {
		if err := t.c.RemoveService(ctx, id); err != nil && !isNotFound(err) {
			return err
		}
		t.observe("remove service " + names[i])
		t.progress(opts, "Service %s Removed", names[i])
	}
	return t.waitTasksGone(ctx, ids)
}

func (t *Target) progress(opts UpOptions, format string, args ...any) {
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, format+"\n", args...)
	}
}

// imagePresent reports whether an image is on this node (for build:).
func (t *Target) imagePresent(ctx context.Context) func(string) bool {
	return func(ref string) bool {
		_, err := t.c.Local().InspectImage(ctx, ref)
		return err == nil
	}
}

// objectIDs are the ids of the stack's secrets and configs by name.
type objectIDs struct{ secrets, configs map[string]string }

// ensureObjects creates the networks, secrets and configs of pl that do not
// exist yet. A secret or config of ours whose data changed is refused: Swarm
// secrets are immutable. One without our content hash (docker stack deploy
// made it) is used as it is: its data cannot be read back to compare.
func (t *Target) ensureObjects(ctx context.Context, pl *Plan, rec *recorder, opts UpOptions) (objectIDs, error) {
	ids := objectIDs{secrets: map[string]string{}, configs: map[string]string{}}
	nets, err := t.c.ListNetworks(ctx, nil)
	if err != nil {
		return ids, err
	}
	have := map[string]bool{}
	for _, n := range nets {
		if n.Scope == "swarm" || n.Scope == "global" {
			have[n.Name] = true
		}
	}
	for _, n := range pl.Networks {
		if have[n.Name] {
			continue
		}
		if n.External {
			return ids, core.NotFound("network", n.Name).With("hint", "external network "+n.Name+" must exist as a swarm-scoped network")
		}
		id, err := t.c.CreateOverlay(ctx, n.Name, n.Overlay)
		if err != nil {
			return ids, err
		}
		t.observe("create network " + n.Name)
		t.progress(opts, "Network %s Created", n.Name)
		rec.add(&rec.networks, id)
	}

	secrets, err := t.c.ListSecrets(ctx, nil)
	if err != nil {
		return ids, err
	}
	existing := map[string]swarm.Secret{}
	for _, s := range secrets {
		existing[s.Spec.Name] = s
	}
	for _, o := range pl.Secrets {
		if s, ok := existing[o.Name]; ok {
			if h, ok := s.Spec.Labels[LabelContentHash]; ok && !o.External && h != o.Labels[LabelContentHash] {
				return ids, core.InvalidArgument("secrets."+o.Key, "secret %q changed, and Swarm secrets cannot change: run down first, or give it a new name", o.Key)
			}
			ids.secrets[o.Name] = s.ID
			continue
		}
		if o.External {
			return ids, core.NotFound("secret", o.Name)
		}
		id, err := t.c.CreateSecret(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: o.Name, Labels: o.Labels}, Data: o.Data})
		if err != nil {
			return ids, err
		}
		t.observe("create secret " + o.Name)
		rec.add(&rec.secrets, id)
		ids.secrets[o.Name] = id
	}

	configs, err := t.c.ListConfigs(ctx, nil)
	if err != nil {
		return ids, err
	}
	existingC := map[string]swarm.Config{}
	for _, c := range configs {
		existingC[c.Spec.Name] = c
	}
	for _, o := range pl.Configs {
		if c, ok := existingC[o.Name]; ok {
			if h, ok := c.Spec.Labels[LabelContentHash]; ok && !o.External && h != o.Labels[LabelContentHash] {
				return ids, core.InvalidArgument("configs."+o.Key, "config %q changed, and Swarm configs cannot change: run down first, or give it a new name", o.Key)
			}
			ids.configs[o.Name] = c.ID
			continue
		}
		if o.External {
			return ids, core.NotFound("config", o.Name)
		}
		id, err := t.c.CreateConfig(ctx, swarm.ConfigSpec{Annotations: swarm.Annotations{Name: o.Name, Labels: o.Labels}, Data: o.Data})
		if err != nil {
			return ids, err
		}
		t.observe("create config " + o.Name)
		rec.add(&rec.configs, id)
		ids.configs[o.Name] = id
	}
	return ids, nil
}

// apply creates the service, updates it when its hash changed (Swarm's
// rolling update, keeping its id), or leaves it alone.
func (t *Target) apply(ctx context.Context, sp *ServicePlan, existing map[string]swarm.Service, ids objectIDs, rec *recorder, opts UpOptions) error {
	spec := sp.Spec
	cs := *spec.TaskTemplate.ContainerSpec
	cs.Secrets = make([]*swarm.SecretReference, len(sp.Spec.TaskTemplate.ContainerSpec.Secrets))
	for i, r := range sp.Spec.TaskTemplate.ContainerSpec.Secrets {
		ref := *r
		ref.SecretID = ids.secrets[ref.SecretName]
		cs.Secrets[i] = &ref
	}
	cs.Configs = make([]*swarm.ConfigReference, len(sp.Spec.TaskTemplate.ContainerSpec.Configs))
	for i, r := range sp.Spec.TaskTemplate.ContainerSpec.Configs {
		ref := *r
		ref.ConfigID = ids.configs[ref.ConfigName]
		cs.Configs[i] = &ref
	}
	spec.TaskTemplate.ContainerSpec = &cs

	if cur, ok := existing[spec.Name]; ok {
		if cur.Spec.Labels[LabelConfigHash] == sp.Hash {
			t.progress(opts, "Service %s Running", sp.Service)
			return nil
		}
		if err := t.c.UpdateService(ctx, cur.ID, cur.Version, spec); err != nil {
			return serviceErr(sp.Service, err)
		}
		t.observe("update service " + spec.Name)
		t.progress(opts, "Service %s Updated", sp.Service)
		rec.add(&rec.updated, cur.ID)
		return nil
	}
	id, err := t.c.CreateService(ctx, spec)
	if err != nil {
		return serviceErr(sp.Service, err)
	}
	t.observe("create service " + spec.Name)
	t.progress(opts, "Service %s Created", sp.Service)
	rec.add(&rec.services, id)
	return nil
}

func serviceErr(service string, err error) error {
	ce := core.AsError(err)
	if ce.Details["service"] == nil {
		ce = ce.With("service", service)
	}
	return ce
}

// rollback removes what rec holds, services first (their tasks hold the
// networks, secrets and configs), and waits until their tasks are gone so
// that the networks can go too. A service the up updated goes back to its
// previous spec through Swarm's own rollback.
func (t *Target) rollback(ctx context.Context, rec *recorder) error {
	var errs []error
	for _, id := range rec.updated {
		svc, err := t.c.InspectService(ctx, id)
		if err == nil {
			err = t.c.RollbackService(ctx, id, svc.Version)
			t.observe("roll back service " + svc.Spec.Name)
		}
		if err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	for i := len(rec.services) - 1; i >= 0; i-- {
		if err := t.c.RemoveService(ctx, rec.services[i]); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	if err := t.waitTasksGone(ctx, rec.services); err != nil {
		errs = append(errs, err)
	}
	for _, id := range rec.secrets {
		if err := t.c.RemoveSecret(ctx, id); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	for _, id := range rec.configs {
		if err := t.c.RemoveConfig(ctx, id); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	for i := len(rec.networks) - 1; i >= 0; i-- {
		if err := t.removeNetwork(ctx, rec.networks[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeNetwork retries while the network still has endpoints of tasks that
// are shutting down.
func (t *Target) removeNetwork(ctx context.Context, id string) error {
	var err error
	for {
		err = t.c.RemoveNetwork(ctx, id)
		if err == nil || isNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(t.poll()):
		}
	}
}

func (t *Target) poll() time.Duration {
	if t.Poll <= 0 {
		return 200 * time.Millisecond
	}
	return t.Poll
}

// waitTasksGone waits until the removed services' tasks have stopped (a
// live task holds network endpoints), then removes the containers their
// finished tasks left on this node: Swarm does not remove the containers
// of a completed job's tasks when the job's service is removed.
func (t *Target) waitTasksGone(ctx context.Context, services []string) error {
	if len(services) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, s := range services {
		set[s] = true
	}
	for {
		tasks, err := t.c.ListTasks(ctx, bswarm.TaskFilter{})
		if err != nil {
			return err
		}
		left := 0
		for _, tk := range tasks {
			if set[tk.ServiceID] && !terminal(tk.Status.State) {
				left++
			}
		}
		if left == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.poll()):
		}
	}
	local := t.c.Local()
	var errs []error
	for id := range set {
		cs, err := local.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"com.docker.swarm.service.id": id}})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Running() {
				continue // Swarm is still stopping it and removes it itself
			}
			if err := local.Remove(ctx, c.ID, true); err != nil && !isNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// terminal reports whether a task's container has stopped for good.
func terminal(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateComplete, swarm.TaskStateFailed, swarm.TaskStateShutdown,
		swarm.TaskStateRejected, swarm.TaskStateOrphaned, swarm.TaskStateRemove:
		return true
	}
	return false
}

func isNotFound(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce) && ce.Kind == core.KindNotFound
}

// Down removes the stack's services, then its secrets, configs and
// networks, all found by the com.docker.stack.namespace label — also a stack
// `docker stack deploy` made. With Volumes it removes the stack's named
// volumes on this node as well (a volume on another node stays there).
func (t *Target) Down(ctx context.Context, project string, opts DownOptions) error {
	if project == "" {
		return core.InvalidArgument("project", "a project name is required")
	}
	lbl := map[string]string{LabelNamespace: project}
	svcs, err := t.c.ListServices(ctx, lbl)
	if err != nil {
		return err
	}
	var errs []error
	ids := make([]string, 0, len(svcs))
	for _, s := range svcs {
		if err := t.c.RemoveService(ctx, s.ID); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
		ids = append(ids, s.ID)
	}
	if err := t.waitTasksGone(ctx, ids); err != nil {
		errs = append(errs, err)
	}
	secrets, err := t.c.ListSecrets(ctx, lbl)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if err := t.c.RemoveSecret(ctx, s.ID); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	configs, err := t.c.ListConfigs(ctx, lbl)
	if err != nil {
		return err
	}
	for _, c := range configs {
		if err := t.c.RemoveConfig(ctx, c.ID); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	nets, err := t.c.ListNetworks(ctx, lbl)
	if err != nil {
		return err
	}
	for _, n := range nets {
		if err := t.removeNetwork(ctx, n.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if opts.Volumes {
		if err := t.removeVolumes(ctx, project); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeVolumes removes the stack's named volumes on this node: the task
// template labels them with the stack's namespace (docker stack deploy
// does the same).
func (t *Target) removeVolumes(ctx context.Context, project string) error {
	local := t.c.Local()
	vols, err := local.ListVolumes(ctx, map[string]string{LabelNamespace: project})
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range vols {
		if err := t.removeVolume(ctx, local, v.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeVolume retries while a container of a task that is shutting down
// still uses the volume.
func (t *Target) removeVolume(ctx context.Context, local backend.Backend, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := local.RemoveVolume(ctx, name, false)
		if err == nil || isNotFound(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(t.poll()):
		}
	}
}

// Task is one task of a stack, as ps shows it.
type Task struct {
	ID           string `json:"id"`
	Name         string `json:"name"` // {project}_{service}.{slot}, as docker stack ps names it
	Service      string `json:"service"`
	ServiceID    string `json:"serviceId"`
	Slot         int    `json:"slot,omitempty"`
	Image        string `json:"image"`
	NodeID       string `json:"nodeId,omitempty"`
	Node         string `json:"node,omitempty"`
	DesiredState string `json:"desiredState"`
	State        string `json:"state"`
	// Health is the container's health for a task on this node
	// (starting, healthy, unhealthy; "" without a healthcheck or elsewhere).
	Health      string    `json:"health,omitempty"`
	ContainerID string    `json:"containerId,omitempty"`
	ExitCode    *int      `json:"exitCode,omitempty"`
	Error       string    `json:"error,omitempty"`
	Message     string    `json:"message,omitempty"`
	Updated     time.Time `json:"updated"`
	Ports       []string  `json:"ports,omitempty"`
}

// Ps lists the stack's tasks (every task of every service, newest first per
// slot), with node, state and, on this node, container health.
func (t *Target) Ps(ctx context.Context, project string) ([]Task, error) {
	svcs, err := t.c.ListServices(ctx, map[string]string{LabelNamespace: project})
	if err != nil {
		return nil, err
	}
	if len(svcs) == 0 {
		return []Task{}, nil
	}
	names := map[string]string{}
	ids := make([]string, 0, len(svcs))
	for _, s := range svcs {
		names[s.ID] = serviceName(project, s)
		ids = append(ids, s.ID)
	}
	tasks, err := t.c.ListTasks(ctx, bswarm.TaskFilter{Services: ids})
	if err != nil {
		return nil, err
	}
	nodes, err := t.c.NodeNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Task, 0, len(tasks))
	for _, tk := range tasks {
		out = append(out, t.task(ctx, project, names[tk.ServiceID], nodes, tk))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		if out[i].Slot != out[j].Slot {
			return out[i].Slot < out[j].Slot
		}
		return out[i].Updated.After(out[j].Updated)
	})
	return out, nil
}

// serviceName is the compose name of a stack's service: its label, or
// (docker stack deploy labels nothing else) its name without {project}_.
func serviceName(project string, s swarm.Service) string {
	if n := s.Spec.Labels[LabelService]; n != "" {
		return n
	}
	return strings.TrimPrefix(s.Spec.Name, project+"_")
}

func (t *Target) task(ctx context.Context, project, service string, nodes map[string]string, tk swarm.Task) Task {
	out := Task{
		ID: tk.ID, Service: service, ServiceID: tk.ServiceID, Slot: tk.Slot,
		NodeID: tk.NodeID, Node: nodes[tk.NodeID],
		DesiredState: string(tk.DesiredState), State: string(tk.Status.State),
		Error: tk.Status.Err, Message: tk.Status.Message, Updated: tk.Status.Timestamp,
	}
	if tk.Slot > 0 {
		out.Name = fmt.Sprintf("%s_%s.%d", project, service, tk.Slot)
	} else {
		out.Name = fmt.Sprintf("%s_%s.%s", project, service, tk.NodeID)
	}
	if tk.Spec.ContainerSpec != nil {
		out.Image = tk.Spec.ContainerSpec.Image
	}
	if cs := tk.Status.ContainerStatus; cs != nil {
		out.ContainerID = cs.ContainerID
		if tk.Status.State == swarm.TaskStateComplete || tk.Status.State == swarm.TaskStateFailed {
			code := cs.ExitCode
			out.ExitCode = &code
		}
	}
	for _, p := range tk.Status.PortStatus.Ports {
		out.Ports = append(out.Ports, fmt.Sprintf("*:%d->%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
	}
	if out.ContainerID != "" && tk.NodeID == t.node.NodeID && tk.Status.State == swarm.TaskStateRunning {
		if info, err := t.c.Local().Inspect(ctx, out.ContainerID); err == nil {
			out.Health = info.Health
		}
	}
	return out
}

// Exec runs a command in the container of the service's task in slot index
// (1 when 0). The container must run on this node: a task elsewhere is an
// error naming its node.
func (t *Target) Exec(ctx context.Context, project, service string, index int, opts backend.ExecOptions) (core.ContainerLogs, error) {
	id, err := t.TaskContainer(ctx, project, service, index)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	return t.c.Local().Exec(ctx, id, opts)
}

// TaskContainer is the id of the container of the service's running task in
// slot index (1 when 0), on this node.
func (t *Target) TaskContainer(ctx context.Context, project, service string, index int) (string, error) {
	if index <= 0 {
		index = 1
	}
	tasks, err := t.Ps(ctx, project)
	if err != nil {
		return "", err
	}
	return pickTask(tasks, service, index, t.node)
}

// pickTask chooses the container of the service's running task in slot
// index among tasks; a task on another node than this one is an error
// naming that node.
func pickTask(tasks []Task, service string, index int, here bswarm.NodeInfo) (string, error) {
	var running []Task
	for _, tk := range tasks {
		if tk.Service == service && tk.State == string(swarm.TaskStateRunning) && tk.DesiredState == string(swarm.TaskStateRunning) {
			running = append(running, tk)
		}
	}
	if len(running) == 0 {
		return "", core.Errorf(core.KindNotFound, "service %q has no running task", service).With("service", service)
	}
	pick, found := running[0], false
	for _, tk := range running {
		if tk.Slot == index {
			pick, found = tk, true
		}
	}
	if !found && index > 1 {
		return "", core.Errorf(core.KindNotFound, "service %q has no running task in slot %d", service, index).With("service", service)
	}
	if pick.NodeID != here.NodeID {
		return "", core.Errorf(core.KindInvalidArgument, "task %s of service %q runs on node %s, not on this one (%s): exec there, with DOCKER_HOST pointing at that node", pick.Name, service, pick.Node, here.Hostname).
			With("service", service).With("node", pick.Node)
	}
	return pick.ContainerID, nil
}

// ServiceState is a service's state from its tasks, as the local engine
// reports a service's from its containers: running when every task meant
// to run runs (and is not unhealthy or still starting its healthcheck),
// stopped when none is meant to run and a job's tasks completed, failed
// when none is meant to run and a task failed or was rejected, pending
// otherwise (no task yet included). errText is the first failed task's
// error, containerID the first running task's container.
func ServiceState(tasks []Task) (state core.ServiceState, errText, containerID string) {
	want, running, done := 0, 0, 0
	for _, k := range tasks {
		switch {
		case k.DesiredState == "running":
			want++
			if k.State == "running" && k.Health != "unhealthy" && k.Health != "starting" {
				running++
				if containerID == "" {
					containerID = k.ContainerID
				}
			}
		case k.State == "complete":
			done++
		}
		if (k.State == "failed" || k.State == "rejected") && errText == "" {
			errText = k.Error
		}
	}
	switch {
	case want > 0 && running == want:
		return core.StateRunning, "", containerID
	case want == 0 && done > 0:
		return core.StateStopped, "", containerID
	case want == 0 && errText != "":
		return core.StateFailed, errText, containerID
	}
	return core.StatePending, errText, containerID
}
