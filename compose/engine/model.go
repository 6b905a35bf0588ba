package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// model is the engine's resolved view of a project: every name, default and
// dependency computed once, so the planner and the commands never look at
// compose-go's types again for them. Building it does no I/O.
type model struct {
	proj        *types.Project
	disabled    map[string]bool // services disabled by profiles: not orphans
	name        string
	workingDir  string
	configFiles []string
	services    map[string]*service
	order       []string // services in dependency order, ties by name
	networks    map[string]*network
	volumes     map[string]*volume
	extraLabels map[string]string
	// classicBuild: the runtime builds with the classic builder
	// (backend.FeatureClassicBuild).
	classicBuild bool
	// stateDir is the project's private state directory, where generated
	// files are written; set by the commands that write them.
	stateDir string
}

type service struct {
	name          string
	cfg           types.ServiceConfig
	scale         int
	deps          []dependency // sorted by service name; missing optional ones dropped
	image         string       // the image reference to run (a default for build-only services)
	containerName string       // container_name, or ""
	stopTimeout   *int         // stop_grace_period in seconds
	health        *types.HealthCheckConfig
	hash          string

	// spec is the container spec shared by all replicas, without the
	// per-container name and labels. convErr is set instead when the
	// service uses a field the engine cannot map; it is reported only when
	// the service is actually used.
	spec core.ContainerSpec
	// ports are the service's ports; each replica's spec writes them for
	// its number (replicaPorts).
	ports []core.Port
	// waitHealth is the healthcheck dependents wait on: spec's, or the
	// service's own when the runtime cannot take start_interval and the
	// engine probes the start period itself (emulateStart).
	waitHealth   *core.Healthcheck
	emulateStart bool
	files        []fileMount
	// copies are the files the runtime writes into each container at its
	// start (those of files marked copied).
	copies   []backend.File
	warnings []string
	convErr  error
	// postStart and preStop are the lifecycle hooks (lifecycle.go).
	postStart, preStop []Hook

	networkKeys []string // networks the containers attach to
	volumeKeys  []string // named volumes the containers mount
}

type dependency struct {
	service   string
	condition string
	required  bool
	restart   bool
}

type network struct {
	key      string
	name     string
	external bool
	cfg      core.NetworkConfig
	err      error // an unmappable network option
}

type volume struct {
	key      string
	name     string
	external bool
	cfg      core.VolumeConfig
	err      error
}

// modelOptions are the inputs beyond the project.
type modelOptions struct {
	scale       map[string]int
	extraLabels map[string]string
	// noStartInterval: the runtime cannot take healthcheck.start_interval.
	noStartInterval bool
	// noHealthcheck: the runtime takes no healthcheck at all.
	noHealthcheck bool
	// noUnsetEnv: the runtime cannot remove a variable the image sets.
	noUnsetEnv bool
	// classicBuild: the runtime builds with the classic builder.
	classicBuild bool
	// copyFiles: the runtime writes files into a container
	// (backend.FileWriter).
	copyFiles bool
}

// buildModel resolves project p. It fails on what makes the whole project
// unusable (undefined required dependencies, cycles, name conflicts); a
// service's unmappable fields are recorded in service.convErr.
func buildModel(p *types.Project, o modelOptions) (*model, error) {
	if p == nil {
		return nil, core.InvalidArgument("project", "is nil")
	}
	if p.Name == "" {
		return nil, core.Errorf(core.KindInvalidConfig, "the project has no name")
	}
	m := &model{
		proj:         p,
		disabled:     map[string]bool{},
		name:         p.Name,
		workingDir:   p.WorkingDir,
		configFiles:  p.ComposeFiles,
		services:     map[string]*service{},
		networks:     map[string]*network{},
		volumes:      map[string]*volume{},
		extraLabels:  o.extraLabels,
		classicBuild: o.classicBuild,
	}
	for name := range p.DisabledServices {
		m.disabled[name] = true
	}
	for key, n := range p.Networks {
		m.networks[key] = newNetwork(p.Name, key, n)
	}
	for key, v := range p.Volumes {
		m.volumes[key] = newVolume(p.Name, key, v)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		cfg := p.Services[name]
		cfg.Name = name // literal projects may leave it empty
		s := &service{name: name, cfg: cfg, scale: cfg.GetScale()}
		if n, ok := o.scale[name]; ok {
			s.scale = n
		}
		if s.scale < 0 {
			return nil, serviceError(core.KindInvalidConfig, name, nil, "service %q: scale must not be negative", name)
		}
		s.containerName = cfg.ContainerName
		if s.containerName != "" && s.scale > 1 {
			return nil, serviceError(core.KindInvalidConfig, name, nil,
				"service %q: container_name %q cannot be used with scale %d: container names must be unique", name, s.containerName, s.scale)
		}
		s.image = loader.ImageName(p.Name, cfg)
		if cfg.StopGracePeriod != nil {
			secs := durationSeconds(*cfg.StopGracePeriod)
			s.stopTimeout = &secs
		}
		if hc := cfg.HealthCheck; hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
			s.health = hc
		}
		m.services[name] = s
	}
	// Dependencies, after every service is known.
	for _, s := range m.services {
		for _, dep := range slices.Sorted(maps.Keys(s.cfg.DependsOn)) {
			d := s.cfg.DependsOn[dep]
			if _, ok := m.services[dep]; !ok {
				if !d.Required {
					continue // an optional dependency that is absent (e.g. a disabled profile)
				}
				return nil, serviceError(core.KindInvalidConfig, s.name, nil, "service %q depends on undefined service %q", s.name, dep)
			}
			cond := d.Condition
			if cond == "" {
				cond = types.ServiceConditionStarted
			}
			switch cond {
			case types.ServiceConditionStarted, types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully:
			default:
				return nil, serviceError(core.KindInvalidConfig, s.name, nil,
					"service %q: depends_on %q has an invalid condition %q (want service_started, service_healthy or service_completed_successfully)", s.name, dep, cond)
			}
			s.deps = append(s.deps, dependency{service: dep, condition: cond, required: d.Required, restart: d.Restart})
		}
	}
	order, err := topoOrder(m.services)
	if err != nil {
		return nil, err
	}
	m.order = order
	if err := m.checkNames(); err != nil {
		return nil, err
	}
	for _, name := range m.order {
		s := m.services[name]
		if s.networkModeService() == "" && s.cfg.NetworkMode == "" && len(s.cfg.Networks) == 0 {
			// compose-go's normalization attaches such services to the
			// default network; Go literal projects may not be normalized.
			if _, ok := m.networks["default"]; !ok {
				m.networks["default"] = newNetwork(p.Name, "default", types.NetworkConfig{})
			}
		}
		s.hash, err = loader.ServiceHash(s.cfg)
		if err != nil {
			return nil, err
		}
		s.spec, s.files, s.warnings, s.convErr = convertService(m, p, s)
		if s.convErr == nil && o.copyFiles {
			s.copies, s.convErr = copyFiles(s)
		}
		if s.convErr == nil && s.cfg.Image == "" {
			if _, err := reference.ParseNormalizedNamed(s.image); err != nil {
				// An upper-case service name: the runtime would refuse the tag
				// with a less helpful message, after the build.
				s.convErr = serviceError(core.KindInvalidConfig, name, err,
					"service %q: the default image name %q is not a valid image reference (%v): set image: for it", name, s.image, err)
			}
		}
		if unset := s.spec.UnsetEnv; len(unset) > 0 && o.noUnsetEnv {
			// A variable the image does not set is absent either way; one
			// it sets keeps the image's value here, so the user is told.
			s.spec.UnsetEnv = nil
			s.warnings = append(s.warnings, fmt.Sprintf("environment %s has no value and this runtime cannot remove a variable the image sets: the image's value, if any, stays",
				strings.Join(unset, ", ")))
		}
		s.waitHealth = s.spec.Healthcheck
		if o.noHealthcheck {
			// The engine probes waitHealth through exec (emulateHealth).
			s.spec.Healthcheck = nil
		}
		if hc := s.spec.Healthcheck; hc != nil && hc.StartInterval != "" && o.noStartInterval {
			// The runtime would refuse start_interval: the container gets the
			// healthcheck without it, and the engine probes the start period
			// at start_interval through exec (docs/design.md, Healthchecks everywhere) so dependents still start
			// as soon as the service is healthy.
			stripped := *hc
			stripped.StartInterval = ""
			s.spec.Healthcheck = &stripped
			s.emulateStart = true
		}
	}
	return m, nil
}

func newNetwork(project, key string, n types.NetworkConfig) *network {
	nw := &network{key: key, name: resourceName(project, key, n.Name, bool(n.External)), external: bool(n.External)}
	nw.cfg, nw.err = convertNetwork(key, n)
	return nw
}

func newVolume(project, key string, v types.VolumeConfig) *volume {
	vol := &volume{key: key, name: resourceName(project, key, v.Name, bool(v.External)), external: bool(v.External)}
	vol.cfg, vol.err = convertVolume(key, v)
	return vol
}

// resourceName is the name of the network or volume key: its name:, else
// the key itself when external, else {project}_{key}.
func resourceName(project, key, name string, external bool) string {
	switch {
	case name != "":
		return name
	case external:
		return key
	}
	return project + "_" + key
}

// containerName is the name of container n of s: container_name, or
// {project}-{service}-{n}. The number never contains the separator, so
// distinct (service, n) pairs give distinct names (Property 9).
func (m *model) containerName(s *service, n int) string {
	if s.containerName != "" {
		return s.containerName
	}
	return m.name + nameSeparator + s.name + nameSeparator + strconv.Itoa(n)
}

// checkNames rejects two containers that would get the same name, e.g. a
// container_name equal to another service's generated name.
func (m *model) checkNames() error {
	seen := map[string]string{}
	for _, name := range m.order {
		s := m.services[name]
		for n := 1; n <= s.scale; n++ {
			cn := m.containerName(s, n)
			if other, ok := seen[cn]; ok {
				return serviceError(core.KindInvalidConfig, name, nil,
					"services %q and %q both have a container named %q", other, name, cn)
			}
			seen[cn] = name
		}
	}
	return nil
}

// networkModeService is x for network_mode "service:x".
func (s *service) networkModeService() string {
	if strings.HasPrefix(s.cfg.NetworkMode, types.ServicePrefix) {
		return strings.TrimPrefix(s.cfg.NetworkMode, types.ServicePrefix)
	}
	return ""
}

// volumesFromServices are the services whose first container s mounts the
// volumes of (volumes_from "service[:mode]"), each once, in order.
func (s *service) volumesFromServices() []string {
	var out []string
	for _, v := range s.cfg.VolumesFrom {
		name, container, _, err := graph.VolumesFrom(v)
		if err != nil || container {
			continue // convertVolumesFrom reports a bad entry
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// topoOrder sorts services so that each comes after its dependencies,
// breaking ties by name so plans and errors are reproducible.
func topoOrder(services map[string]*service) ([]string, error) {
	indegree := map[string]int{}
	dependents := map[string][]string{}
	for name, s := range services {
		indegree[name] += 0
		for _, d := range s.deps {
			indegree[name]++
			dependents[d.service] = append(dependents[d.service], name)
		}
	}
	var ready, order []string
	for name, n := range indegree {
		if n == 0 {
			ready = append(ready, name)
		}
	}
	sort.Strings(ready)
	for len(ready) > 0 {
		name := ready[0]
		ready = ready[1:]
		order = append(order, name)
		for _, dep := range dependents[name] {
			indegree[dep]--
			if indegree[dep] == 0 {
				ready = append(ready, dep)
				sort.Strings(ready)
			}
		}
	}
	if len(order) < len(services) {
		cycle := findCycle(services)
		return nil, core.Errorf(core.KindDependencyCycle, "dependency cycle detected: %s", strings.Join(cycle, " -> ")).
			With("cycle", cycle).With("service", cycle[0])
	}
	return order, nil
}

// findCycle returns one dependency cycle, first service repeated at the
// end, searching in name order for a stable message.
func findCycle(services map[string]*service) []string {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) []string
	visit = func(name string) []string {
		state[name] = onPath
		path = append(path, name)
		for _, d := range services[name].deps {
			switch state[d.service] {
			case onPath:
				for i, p := range path {
					if p == d.service {
						return append(slices.Clone(path[i:]), d.service)
					}
				}
			case unvisited:
				if c := visit(d.service); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		if state[name] == unvisited {
			if c := visit(name); c != nil {
				return c
			}
		}
	}
	return nil
}

// graph is the ServiceGraph view.
func (m *model) graph() core.ServiceGraph {
	g := core.ServiceGraph{Nodes: append([]string{}, m.order...), Edges: []core.Edge{}}
	for _, name := range m.order {
		for _, d := range m.services[name].deps {
			g.Edges = append(g.Edges, core.Edge{From: name, To: d.service})
		}
	}
	return g
}

// selectServices returns the services an operation acts on, in dependency
// order: names (all when empty), plus their dependencies when withDeps.
func (m *model) selectServices(names []string, withDeps bool) ([]string, error) {
	if len(names) == 0 {
		return slices.Clone(m.order), nil
	}
	want := map[string]bool{}
	var add func(string)
	add = func(n string) {
		if want[n] {
			return
		}
		want[n] = true
		if withDeps {
			for _, d := range m.services[n].deps {
				add(d.service)
			}
		}
	}
	for _, n := range names {
		if _, ok := m.services[n]; !ok {
			return nil, core.NotFound("service", n).With("service", n)
		}
		add(n)
	}
	var out []string
	for _, n := range m.order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// dependents returns, for each service, the services depending on it.
func (m *model) dependents() map[string][]string {
	out := map[string][]string{}
	for _, name := range m.order {
		for _, d := range m.services[name].deps {
			out[d.service] = append(out[d.service], name)
		}
	}
	return out
}

// durationSeconds rounds a compose duration up to whole seconds, the unit
// of the runtimes' stop timeouts.
func durationSeconds(d types.Duration) int {
	const sec = int64(1e9)
	n := int64(d)
	return int((n + sec - 1) / sec)
}

func (d dependency) String() string {
	return fmt.Sprintf("%s:%s:%t", d.service, d.condition, d.restart)
}
