package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/core"
)

// Container is one container of the project, as Ps reports it.
type Container struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Project  string            `json:"project"`
	Service  string            `json:"service"`
	Number   int               `json:"number"`
	State    string            `json:"state"`  // created | running | paused | restarting | exited | dead
	Health   string            `json:"health"` // starting | healthy | unhealthy | ""
	ExitCode int               `json:"exitCode"`
	Status   string            `json:"status"` // the runtime's human status
	Ports    []string          `json:"ports"`
	Image    string            `json:"image"`
	Command  string            `json:"command,omitempty"` // as docker ps shows it: "sh -c 'exit 3'"
	Created  string            `json:"created"`
	Networks []string          `json:"networks"`
	Labels   map[string]string `json:"labels"`
}

// PsEntry is one line of `docker compose ps --format json`, with its keys.
type PsEntry struct {
	ID           string
	Name         string
	Names        string
	Image        string
	Command      string
	Project      string
	Service      string
	CreatedAt    string
	RunningFor   string
	State        string
	Status       string
	Health       string
	ExitCode     int
	Ports        string
	Publishers   []Publisher
	Labels       string // k=v pairs, comma-joined and sorted
	Networks     string
	Mounts       string
	LocalVolumes string
	Size         string
}

// Publisher is a published port in PsEntry.
type Publisher struct {
	URL           string
	TargetPort    int
	PublishedPort int
	Protocol      string
}

// JoinLabels is labels as docker's tables and JSON lines print them:
// "k=v" sorted by key, joined by commas.
func JoinLabels(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		pairs = append(pairs, k+"="+labels[k])
	}
	return strings.Join(pairs, ",")
}

// PsJSON returns c under docker compose's ps JSON keys. Mounts,
// LocalVolumes, Size and RunningFor are empty: the backends do not report them.
func (c Container) PsJSON() PsEntry {
	e := PsEntry{
		ID: c.ID, Name: c.Name, Names: c.Name, Image: c.Image, Command: c.Command, Project: c.Project, Service: c.Service,
		CreatedAt: c.Created, State: c.State, Status: c.Status, Health: c.Health, ExitCode: c.ExitCode,
		Ports: strings.Join(c.Ports, ", "), Labels: JoinLabels(c.Labels), Networks: strings.Join(c.Networks, ","),
		Publishers: []Publisher{},
	}
	for _, p := range c.Ports {
		e.Publishers = append(e.Publishers, publishers(p)...)
	}
	return e
}

// publishers are the Publisher entries of one reported port, one per
// container port (none when the runtime wrote something unreadable).
func publishers(s string) []Publisher {
	p, err := core.ParsePort(s)
	if err != nil {
		return nil
	}
	out := make([]Publisher, 0, p.Container.Len())
	for k := range p.Container.Len() {
		pub := Publisher{TargetPort: int(p.Container.At(k)), Protocol: p.Protocol}
		if h, ok := p.HostPort(k); ok {
			pub.PublishedPort = int(h)
			if p.HostIP.IsValid() {
				pub.URL = p.HostIP.String()
			}
		}
		out = append(out, pub)
	}
	return out
}

func containerOf(c observedContainer) Container {
	out := Container{
		ID: c.ID, Name: c.Name, Project: c.projectOf(), Service: c.service, Number: c.number, State: c.State,
		Health: c.Health, Status: c.Status, Ports: c.Ports, Image: c.Image, Command: c.Command, Created: c.Created,
		Networks: c.Networks, Labels: c.Labels,
	}
	if c.ExitCode != nil {
		out.ExitCode = *c.ExitCode
	}
	if out.Ports == nil {
		out.Ports = []string{}
	}
	return out
}

// containersOf lists the project's containers of services (all when
// empty), sorted by service and number.
func (e *Engine) containersOf(ctx context.Context, m *model, services []string) ([]observedContainer, error) {
	obs, err := e.observe(ctx, m, observeWhat{containers: true})
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		return obs.containers, nil
	}
	want := map[string]bool{}
	for _, s := range services {
		if _, ok := m.services[s]; !ok {
			return nil, core.NotFound("service", s).With("service", s)
		}
		want[s] = true
	}
	var out []observedContainer
	for _, c := range obs.containers {
		if want[c.service] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Volumes lists the project's volumes (those carrying its label), sorted
// by name, as docker compose volumes does: with services, only the ones
// their running containers mount, directly or through volumes_from.
// External volumes carry no project label and are not listed.
func (e *Engine) Volumes(ctx context.Context, services []string) ([]core.VolumeInfo, error) {
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	list, err := e.backend.ListVolumes(ctx, map[string]string{LabelProject: m.name})
	if err != nil {
		return nil, wrapKind(err, "listing the volumes of project %q: %v", m.name, err)
	}
	slices.SortFunc(list, func(a, b core.VolumeInfo) int { return strings.Compare(a.Name, b.Name) })
	if len(services) == 0 {
		return list, nil
	}
	cs, err := e.containersOf(ctx, m, services)
	if err != nil {
		return nil, err
	}
	mounted, seen := map[string]bool{}, map[string]bool{}
	var mounts func(name string)
	mounts = func(name string) {
		s, ok := m.services[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		for _, k := range s.volumeKeys {
			mounted[m.volumes[k].name] = true
		}
		for _, v := range s.cfg.VolumesFrom {
			// The engine copies the source's mounts, its own
			// volumes_from's included.
			if src, isContainer, _, err := graph.VolumesFrom(v); err == nil && !isContainer {
				mounts(src)
			}
		}
	}
	for _, c := range cs {
		if !c.running() {
			continue
		}
		mounts(c.service)
		// What the container was created with, by name: the project may
		// have been rebuilt from labels (no compose file), or changed since.
		for _, name := range strings.Split(c.Labels[LabelVolumes], ",") {
			if name != "" {
				mounted[name] = true
			}
		}
	}
	return slices.DeleteFunc(list, func(v core.VolumeInfo) bool { return !mounted[v.Name] }), nil
}

// Ps lists the project's containers: running ones, or all with All.
func (e *Engine) Ps(ctx context.Context, opts PsOptions) ([]Container, error) {
	m, err := e.model(nil)
	if err != nil {
		return nil, err
	}
	cs, err := e.containersOf(ctx, m, opts.Services)
	if err != nil {
		return nil, err
	}
	var shown []observedContainer
	for _, c := range cs {
		if !opts.All && !c.running() && c.State != "paused" { // docker ps lists paused ones too
			continue
		}
		shown = append(shown, c)
	}
	out := make([]Container, len(shown))
	// Health may need a probe per container (psHealth): at most 8 at once.
	var g errgroup.Group
	g.SetLimit(8)
	for i, c := range shown {
		g.Go(func() error {
			out[i] = containerOf(c)
			if h := e.psHealth(ctx, m, c); h != c.Health {
				out[i].Health, out[i].Status = h, withHealth(c.Status, h)
			}
			return nil
		})
	}
	_ = g.Wait()
	return out, nil
}

// Logs sends the output of services' containers to sink, line by line,
// each with its service, container name and stream ("stdout" | "stderr").
// Calls to sink are serialised. With Follow it streams until the
// containers stop or ctx ends.
func (e *Engine) Logs(ctx context.Context, opts LogsOptions, sink func(service, container, stream, line string)) error {
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	cs, err := e.containersOf(ctx, m, opts.Services)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	emit := func(c observedContainer, stream, text string) {
		mu.Lock()
		defer mu.Unlock()
		for _, line := range splitLines(text) {
			sink(c.service, c.Name, stream, line)
		}
	}
	lo := backend.LogsOptions{Tail: opts.Tail, Since: opts.Since, Timestamps: opts.Timestamps}
	if !opts.Follow {
		for _, c := range cs {
			logs, err := e.backend.Logs(ctx, c.ID, lo)
			if err != nil {
				return serviceError(core.KindOf(err), c.service, err, "service %q: logs of %s: %v", c.service, c.Name, err)
			}
			emit(c, "stdout", logs.Stdout)
			emit(c, "stderr", logs.Stderr)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, c := range cs {
		g.Go(func() error {
			out := backend.NewLineWriter(func(l string) { emit(c, "stdout", l) })
			errw := backend.NewLineWriter(func(l string) { emit(c, "stderr", l) })
			err := e.backend.FollowLogs(gctx, c.ID, lo, out, errw)
			out.Close()
			errw.Close()
			if err != nil && gctx.Err() == nil {
				return serviceError(core.KindOf(err), c.service, err, "service %q: logs of %s: %v", c.service, c.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Exec runs a command in container number opts.Index (default 1) of a
// service. The result carries the command's exit code.
func (e *Engine) Exec(ctx context.Context, service string, opts ExecOptions) (core.ContainerLogs, error) {
	m, err := e.model(nil)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	if len(opts.Cmd) == 0 {
		return core.ContainerLogs{}, core.InvalidArgument("cmd", "is empty")
	}
	index := opts.Index
	if index == 0 {
		index = 1
	}
	cs, err := e.containersOf(ctx, m, []string{service})
	if err != nil {
		return core.ContainerLogs{}, err
	}
	for _, c := range cs {
		if c.number != index {
			continue
		}
		if !c.running() {
			return core.ContainerLogs{}, serviceError(core.KindInvalidArgument, service, nil, "service %q: container %s is not running", service, c.Name)
		}
		return e.backend.Exec(ctx, c.ID, opts.ExecOptions)
	}
	return core.ContainerLogs{}, core.NotFound("container", fmt.Sprintf("%s #%d", service, index)).With("service", service)
}

// OneOffOptions tune OneOffSpec.
type OneOffOptions struct {
	// Slug names the container {project}-{service}-run-{slug}; required.
	Slug string
	// Name, when set, names the container instead (run --name).
	Name string
	// UseAliases gives the container the service's network aliases
	// besides its own name (run --use-aliases).
	UseAliases bool
}

// OneOffSpec returns the spec of a one-off container of service, as docker
// compose run creates it: the service's container spec, named
// {project}-{service}-run-{slug} (or opts.Name), labelled oneoff=True with
// the slug, without container_name (one-off containers are never found by
// Ps, Down or an up's plan, which look at oneoff=False only), and known on
// its networks by its own name only unless opts.UseAliases. The service's
// secret and config files are written first. The caller adapts the rest
// (command, environment, ports) and creates it on the backend. release is
// never nil: call it once the one-off container is removed, or created and
// left running. It removes the private state directory this call made for
// the files when no container is labelled with it: after a run --rm no
// container leads a later Down to it.
func (e *Engine) OneOffSpec(ctx context.Context, service string, opts OneOffOptions) (spec *core.ContainerSpec, release func(), err error) {
	release = func() {}
	m, s, err := e.serviceModel(service)
	if err != nil {
		return nil, release, err
	}
	if s.convErr != nil {
		return nil, release, s.convErr
	}
	// The caller creates and starts the one-off, in one step when it
	// attaches a terminal: there is no start to write files at.
	s.bindFiles()
	slug := opts.Slug
	if slug == "" {
		return nil, release, core.InvalidArgument("slug", "is empty")
	}
	// docker compose labels a one-off with its image's id, as it does a
	// service's containers; the caller has pulled or built the image by
	// now. The label is not worth failing the run for: an image the
	// runtime cannot describe just goes without it.
	var imageID string
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if img, err := e.backend.InspectImage(ictx, s.image); err == nil {
		imageID = img.ID
	}
	cancel()
	if m.writesFiles([]string{service}) {
		// The directory of the project's containers, when there is one.
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		obs, err := e.observe(octx, m, observeWhat{containers: true})
		if err != nil {
			return nil, release, err
		}
		rec := &recorder{}
		if err := e.useStateDir(m, []string{service}, obs.containers, rec); err != nil {
			return nil, release, err
		}
		if made := rec.list(); len(made) > 0 {
			release = func() { e.releaseStateDir(ctx, m.name, made[0].id) }
		}
	}
	if err := writeFiles(m, []string{service}); err != nil {
		release()
		return nil, func() {}, err
	}
	spec = m.containerSpec(s, 1, imageID, false)
	// A one-off is no replica: it keeps a host range whole, so that the
	// runtime gives it a free port rather than replica 1's (which
	// the running container holds), and it has no number (docker compose
	// gives it none either).
	spec.Ports = replicaPorts(s.ports, 0)
	delete(spec.Labels, LabelNumber)
	spec.Name = cmp.Or(opts.Name, m.name+nameSeparator+service+nameSeparator+"run"+nameSeparator+slug)
	spec.NetworkAliases, spec.Networks = s.spec.NetworkAliases, s.spec.Networks
	ownAliases(spec, s, opts.UseAliases)
	spec.Labels[LabelOneoff] = "True"
	spec.Labels[LabelSlug] = slug
	return spec, release, nil
}

// releaseStateDir removes dir, a state directory of project, unless a
// container (one-offs included) is labelled with it or the runtime cannot
// say. A fresh, bounded context: the caller's may be cancelled by now.
func (e *Engine) releaseStateDir(ctx context.Context, project, dir string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	cs, err := e.backend.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{LabelProject: project, LabelStateDir: dir}})
	if err != nil || len(cs) > 0 || !e.ownStateDir(project, dir) {
		return
	}
	_ = os.RemoveAll(dir)
}

// Start starts the stopped containers of services (all when empty) and of
// their dependencies, in dependency order, honouring depends_on conditions.
func (e *Engine) Start(ctx context.Context, services []string, timeout *int) error {
	return e.startOrRestart(ctx, services, false, timeout)
}

// Restart stops and starts the containers of services (all when empty), in
// dependency order, and of the services depending on them with
// `restart: true`.
func (e *Engine) Restart(ctx context.Context, services []string, timeout *int) error {
	return e.startOrRestart(ctx, services, true, timeout)
}

// selected reads what the commands on existing containers need: the
// model, the selected services (withDeps: and their dependencies) and the
// project's containers.
func (e *Engine) selected(ctx context.Context, services []string, withDeps bool) (*model, []string, *observedState, error) {
	m, err := e.model(nil)
	if err != nil {
		return nil, nil, nil, err
	}
	sel, err := m.selectServices(services, withDeps)
	if err != nil {
		return nil, nil, nil, err
	}
	obs, err := e.observe(ctx, m, observeWhat{containers: true})
	if err != nil {
		return nil, nil, nil, err
	}
	return m, sel, obs, nil
}

func (e *Engine) startOrRestart(ctx context.Context, services []string, restart bool, timeout *int) error {
	unlock, err := e.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, sel, obs, err := e.selected(ctx, services, !restart)
	if err != nil {
		return err
	}
	p, err := planStart(m, obs, sel, restart, timeout)
	if err != nil {
		return err
	}
	return e.execute(ctx, p, nil)
}

// Lock takes the project's lock (lock.go) for a caller that changes the
// project through the backend itself (perry-compose rm): the engine's own
// changing commands take it already and must not be called while holding
// it. It waits for another holder as they do; call the returned function
// (never nil) to release it.
func (e *Engine) Lock(ctx context.Context) (unlock func(), err error) {
	return e.lockProject(ctx, e.project.Name)
}

// Stop stops the running containers of services (all when empty), the
// services that depend on others first.
func (e *Engine) Stop(ctx context.Context, services []string, timeout *int) error {
	unlock, err := e.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, sel, obs, err := e.selected(ctx, services, false)
	if err != nil {
		return err
	}
	return e.execute(ctx, planStop(m, obs, sel, timeout), nil)
}

// Kill sends signal ("" for SIGKILL; see backend.CheckSignal) to the
// running containers of services (all when empty), all at once, as docker
// compose kill does: a signal is not a stop, so no dependency order.
func (e *Engine) Kill(ctx context.Context, services []string, signal string) error {
	sig, err := backend.CheckSignal(signal)
	if err != nil {
		return err
	}
	unlock, err := e.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	_, sel, obs, err := e.selected(ctx, services, false)
	if err != nil {
		return err
	}
	p := &Plan{}
	for _, name := range sel {
		for _, c := range obs.byService(name) {
			if c.running() {
				p.add(&Op{Type: OpKillContainer, Resource: fmt.Sprintf("service:%s:%d", name, c.number),
					Target: c.ID, Name: c.Name, Service: name, Number: c.number, Signal: sig, Tolerant: true})
			}
		}
	}
	return e.execute(ctx, p, nil)
}

// Graph returns the resolved dependency DAG: services in topological order
// and one edge per depends_on. A cycle is a DependencyCycle error naming it.
func (e *Engine) Graph() (core.ServiceGraph, error) {
	m, err := e.model(nil)
	if err != nil {
		return core.ServiceGraph{}, err
	}
	return m.graph(), nil
}

// Status reports every service's state, in dependency order:
//
//   - running: all its containers run (and none is unhealthy);
//   - stopped: all exited with code 0, or were stopped (exit 137/143);
//   - failed: one exited with another code, is dead, restarting after a
//     crash, or unhealthy;
//   - pending: it has no container yet (or they were created, not started);
//   - unknown: anything else (paused, a mix).
//
// Healthy is true iff every service is running, except that a one-shot
// service whose containers all exited with code 0 (an init job that
// completed) also counts as ok.
func (e *Engine) Status(ctx context.Context) (core.StackStatus, error) {
	m, err := e.model(nil)
	if err != nil {
		return core.StackStatus{}, err
	}
	obs, err := e.observe(ctx, m, observeWhat{containers: true})
	if err != nil {
		return core.StackStatus{}, err
	}
	st := core.StackStatus{Services: []core.ServiceStatus{}, Healthy: true}
	for _, name := range m.order {
		ss, completed := e.serviceStatus(name, obs.byService(name))
		if ss.State != core.StateRunning && !completed {
			st.Healthy = false
		}
		st.Services = append(st.Services, ss)
	}
	return st, nil
}

// serviceStatus aggregates a service's containers; completed reports that
// all of them exited with code 0.
func (e *Engine) serviceStatus(name string, cs []observedContainer) (core.ServiceStatus, bool) {
	ss := core.ServiceStatus{Service: name, State: core.StatePending}
	if len(cs) == 0 {
		return ss, false
	}
	ss.ContainerID = cs[0].ID
	counts := map[core.ServiceState]int{}
	completed := true
	var errs []string
	for _, c := range cs {
		health := c.Health
		if emulated, _ := e.health.last(c.ID); health == "" || health == "starting" && emulated != "" {
			// the engine's probes decide where the runtime runs none
			health = emulated
		}
		code := 0
		if c.ExitCode != nil {
			code = *c.ExitCode
		}
		var state core.ServiceState
		switch {
		case c.State == "running" && health == "unhealthy":
			state = core.StateFailed
			errs = append(errs, c.Name+" is unhealthy")
		case c.State == "running":
			state = core.StateRunning
		case c.State == "exited" && (code == 0 || code == 137 || code == 143):
			state = core.StateStopped
		case c.State == "exited" || c.State == "dead" || (c.State == "restarting" && code != 0):
			state = core.StateFailed
			errs = append(errs, fmt.Sprintf("%s exited with code %d", c.Name, code))
		case c.State == "created":
			state = core.StatePending
		default:
			state = core.StateUnknown
		}
		if c.State != "exited" || code != 0 {
			completed = false
		}
		if state == core.StateFailed && ss.ContainerID == cs[0].ID {
			ss.ContainerID = c.ID
		}
		counts[state]++
	}
	switch {
	case counts[core.StateFailed] > 0:
		ss.State = core.StateFailed
		sort.Strings(errs)
		ss.Error = strings.Join(errs, "; ")
	case counts[core.StateRunning] == len(cs):
		ss.State = core.StateRunning
	case counts[core.StateStopped] == len(cs):
		ss.State = core.StateStopped
	case counts[core.StatePending] == len(cs):
		ss.State = core.StatePending
	default:
		ss.State = core.StateUnknown
	}
	return ss, completed
}
