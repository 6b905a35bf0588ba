package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// This file is the planner. Every function here is pure: it reads the
// model and an observed snapshot and returns a Plan, making no backend
// call, so that plans can be printed and compared in golden tests.

// planImages plans the pulls and builds an up needs. Images are obtained in
// a phase of their own so that the container plan knows the image ids it
// compares against the containers' image labels (a rebuilt image means a
// new container), as docker compose does.
func planImages(m *model, obs *observedState, services []string, opts UpOptions) (*Plan, error) {
	p := &Plan{}
	// An image a service of the project builds is never pulled for another
	// service sharing it (a common pattern), unless pull_policy is always.
	buildable := map[string]bool{}
	for _, name := range services {
		if m.services[name].cfg.Build != nil {
			buildable[m.services[name].image] = true
		}
	}
	done := map[string]bool{}
	for _, name := range services {
		s := m.services[name]
		if done[s.image] {
			continue
		}
		cfg := s.cfg
		if opts.Pull != "" {
			cfg.PullPolicy = opts.Pull
		}
		policy, _, err := cfg.GetPullPolicy()
		if err != nil {
			return nil, serviceError(core.KindInvalidConfig, name, err, "service %q: %s", name, err.Error())
		}
		if policy == types.PullPolicyBuild && s.cfg.Build == nil {
			return nil, serviceError(core.KindInvalidConfig, name, nil, "service %q: pull_policy build needs a build section", name)
		}
		_, present := obs.images[s.image]
		resource := "image:" + s.image
		if s.cfg.Build != nil && !opts.NoBuild && (opts.Build || policy == types.PullPolicyBuild || !present) {
			spec, err := convertBuild(m.proj, s, &p.Warnings)
			if err != nil {
				return nil, err
			}
			if m.classicBuild {
				spec.Labels = maps.Clone(spec.Labels)
				if spec.Labels == nil {
					spec.Labels = map[string]string{}
				}
				spec.Labels[LabelImageBuilder] = "classic"
			}
			cause := "image not found"
			if present {
				cause = "build requested"
			}
			p.add(&Op{Type: OpBuildImage, Resource: resource, Target: s.image, Service: name, Build: &spec, Cause: cause})
			done[s.image] = true
			continue
		}
		if buildable[s.image] && policy != types.PullPolicyAlways {
			continue
		}
		switch policy {
		case types.PullPolicyAlways:
			p.add(&Op{Type: OpPullImage, Resource: resource, Target: s.image, Service: name, Cause: "pull_policy always"})
		case types.PullPolicyMissing, types.PullPolicyIfNotPresent, types.PullPolicyRefresh:
			if policy == types.PullPolicyRefresh {
				p.Warnings = append(p.Warnings, fmt.Sprintf("service %s: pull_policy %s is treated as missing", name, s.cfg.PullPolicy))
			}
			if !present {
				p.add(&Op{Type: OpPullImage, Resource: resource, Target: s.image, Service: name, Cause: "image not found"})
			}
		}
		done[s.image] = true
	}
	return p, nil
}

// upPlanner holds the state of planning one up.
type upPlanner struct {
	m    *model
	obs  *observedState
	opts UpOptions
	plan *Plan

	selected  map[string]bool
	netOps    map[string]int // network key → create op
	volOps    map[string]int
	readyOps  map[string][]int    // service → ops after which its containers are in their final state
	refs      map[string][]string // service → its containers' final targets
	recreated map[string]bool     // services with a recreated or new container #1
	changed   map[string]bool     // services recreated (restart: true dependents follow)
	ready1    map[string]int      // service → the op that (re)starts its container #1
}

// planUp plans the convergence of services (in dependency order) towards
// the model: networks, then volumes, then containers.
func planUp(m *model, obs *observedState, services []string, opts UpOptions) (*Plan, error) {
	pl := &upPlanner{
		m: m, obs: obs, opts: opts, plan: &Plan{},
		selected: map[string]bool{}, netOps: map[string]int{}, volOps: map[string]int{},
		readyOps: map[string][]int{}, refs: map[string][]string{},
		recreated: map[string]bool{}, changed: map[string]bool{}, ready1: map[string]int{},
	}
	for _, name := range services {
		s := m.services[name]
		if s.convErr != nil {
			return nil, s.convErr
		}
		pl.selected[name] = true
		for _, w := range s.warnings {
			pl.plan.Warnings = append(pl.plan.Warnings, "service "+name+": "+w)
		}
	}
	pl.orphans()
	pl.networksAndVolumes(services)
	for _, name := range services {
		if err := pl.service(m.services[name]); err != nil {
			return nil, err
		}
	}
	return pl.plan, nil
}

// orphans finds containers of services that are no longer in the project
// and, when asked, removes them first.
func (pl *upPlanner) orphans() {
	for _, c := range pl.obs.containers {
		if _, ok := pl.m.services[c.service]; ok || pl.m.disabled[c.service] {
			continue
		}
		pl.plan.Orphans = append(pl.plan.Orphans, c.Name)
		if !pl.opts.RemoveOrphans {
			continue
		}
		res := fmt.Sprintf("service:%s:%d", c.service, c.number)
		var deps []int
		if c.running() {
			deps = append(deps, pl.plan.add(&Op{Type: OpStopContainer, Resource: res, Target: c.ID, Name: c.Name, Service: c.service, Number: c.number,
				Timeout: pl.opts.Timeout, Tolerant: true, Cause: "orphan"}))
		}
		pl.plan.add(&Op{Type: OpRemoveContainer, Resource: res, Target: c.ID, Name: c.Name, Service: c.service, Number: c.number,
			Deps: deps, Tolerant: true, Cause: "orphan"})
	}
}

func (pl *upPlanner) networksAndVolumes(services []string) {
	pl.networks(services)
	pl.volumes(services)
}

// usedKeys are the network and volume keys services use, sorted.
func (pl *upPlanner) usedKeys(services []string) (nets, vols []string) {
	for _, name := range services {
		for _, k := range pl.m.services[name].networkKeys {
			nets = appendUnique(nets, k)
		}
		for _, k := range pl.m.services[name].volumeKeys {
			vols = appendUnique(vols, k)
		}
	}
	sort.Strings(nets)
	sort.Strings(vols)
	return nets, vols
}

// networks plans the creation of the missing networks services use.
func (pl *upPlanner) networks(services []string) {
	nets, _ := pl.usedKeys(services)
	for _, k := range nets {
		nw := pl.m.networks[k]
		if _, ok := pl.obs.networks[nw.name]; ok || nw.external {
			continue
		}
		cfg := pl.m.networkConfig(k)
		pl.netOps[k] = pl.plan.add(&Op{Type: OpCreateNetwork, Resource: "network:" + k, Target: nw.name, Network: &cfg, Cause: "not found"})
	}
}

// planNetworks plans the creation of the networks services use and lack:
// Up creates them before planning the containers, which attach to them by id.
func planNetworks(m *model, obs *observedState, services []string) *Plan {
	pl := &upPlanner{m: m, obs: obs, plan: &Plan{}, netOps: map[string]int{}}
	pl.networks(services)
	return pl.plan
}

// volumes plans the creation (or, with RecreateVolumes, the replacement) of
// the volumes services use.
func (pl *upPlanner) volumes(services []string) {
	_, vols := pl.usedKeys(services)
	for _, k := range vols {
		vol := pl.m.volumes[k]
		if vol.external {
			continue
		}
		// After the networks, so that up creates networks, then volumes,
		// then containers, and a rollback undoes them in reverse.
		var deps []int
		for _, i := range pl.netOps {
			deps = append(deps, i)
		}
		cause := "not found"
		if info, ok := pl.obs.volumes[vol.name]; ok {
			diff := volumeDiff(vol, info, pl.m.extraLabels)
			if diff == "" {
				continue
			}
			if !pl.opts.RecreateVolumes {
				pl.plan.Warnings = append(pl.plan.Warnings, fmt.Sprintf(
					"volume %q exists but does not match the configuration (%s): it is kept; recreate it with up -y (its data will be lost)", vol.name, diff))
				continue
			}
			cause = "configuration changed: " + diff
			deps = append(deps, pl.releaseVolume(k)...)
			deps = []int{pl.plan.add(&Op{Type: OpRemoveVolume, Resource: "volume:" + k, Target: vol.name, Deps: deps, Cause: cause})}
		}
		cfg := vol.cfg
		cfg.Labels = pl.m.resourceLabels(cfg.Labels, LabelVolume, k)
		pl.volOps[k] = pl.plan.add(&Op{Type: OpCreateVolume, Resource: "volume:" + k, Target: vol.name, Volume: &cfg, Deps: deps, Cause: cause})
	}
}

// releaseVolume plans the removal of the containers of the selected
// services that mount volume k, so that it can be recreated, and drops them
// from the snapshot: the services' containers are then planned anew. It
// returns the removal ops.
func (pl *upPlanner) releaseVolume(k string) []int {
	users := map[string]bool{}
	for name := range pl.selected {
		for _, vk := range pl.m.services[name].volumeKeys {
			if vk == k {
				users[name] = true
			}
		}
	}
	// A container that takes its volumes from a user holds the volume
	// too (the engine copied the mount), and so on down the chain.
	for grown := true; grown; {
		grown = false
		for name := range pl.selected {
			if users[name] {
				continue
			}
			for _, src := range pl.m.services[name].volumesFromServices() {
				if users[src] {
					users[name], grown = true, true
					break
				}
			}
		}
	}
	var ops []int
	kept := pl.obs.containers[:0:0]
	for _, c := range pl.obs.containers {
		if !users[c.service] {
			kept = append(kept, c)
			continue
		}
		timeout := pl.opts.Timeout
		if timeout == nil {
			timeout = pl.m.services[c.service].stopTimeout
		}
		rm := stopRemove(pl.plan, c, timeout, nil, nil, "volume "+k+" is recreated")
		ops = append(ops, rm[len(rm)-1])
	}
	// A copy: the caller's snapshot is not modified.
	obs := *pl.obs
	obs.containers = kept
	pl.obs = &obs
	return ops
}

// volumeDiff says how an existing volume differs from its definition: its
// driver, or the labels the project gives it. Labels compose itself writes,
// and the engine's extra labels, are not compared (another tool may have
// created the volume). "" means it matches.
func volumeDiff(vol *volume, info core.VolumeInfo, extra map[string]string) string {
	want := vol.cfg.Driver
	if want == "" {
		want = "local"
	}
	if info.Driver != "" && info.Driver != want {
		return fmt.Sprintf("driver %q, want %q", info.Driver, want)
	}
	for _, k := range slices.Sorted(maps.Keys(vol.cfg.Labels)) {
		if got, ok := info.Labels[k]; !ok || got != vol.cfg.Labels[k] {
			return fmt.Sprintf("label %s=%q, want %q", k, got, vol.cfg.Labels[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(info.Labels)) {
		if _, ok := vol.cfg.Labels[k]; ok || strings.HasPrefix(k, "com.docker.compose.") || k == LabelManaged {
			continue
		}
		if _, ok := extra[k]; ok {
			continue
		}
		return fmt.Sprintf("label %s is no longer set", k)
	}
	return ""
}

// gate returns the wait ops a service's containers must pass before
// starting: one per dependency that is part of this up.
func (pl *upPlanner) gate(s *service) []int {
	var out []int
	for _, d := range s.deps {
		if !pl.selected[d.service] {
			continue // --no-deps, or a subset without its dependencies
		}
		dep := pl.m.services[d.service]
		out = append(out, pl.plan.add(&Op{
			Type: OpWaitService, Resource: "service:" + d.service, Service: d.service,
			Deps:     pl.readyOps[d.service],
			Optional: !d.required,
			Wait:     dep.waitSpec(d.condition, s.name, pl.refs[d.service], !d.required),
			Cause:    s.name + " depends on it",
		}))
	}
	return out
}

// service plans one service's containers.
func (pl *upPlanner) service(s *service) error {
	existing := pl.obs.byService(s.name)
	byNumber := map[int][]observedContainer{}
	for _, c := range existing {
		// The container with the expected name goes first: a duplicate
		// number is the replacement of an interrupted recreate.
		if c.Name == pl.m.containerName(s, c.number) {
			byNumber[c.number] = append([]observedContainer{c}, byNumber[c.number]...)
		} else {
			byNumber[c.number] = append(byNumber[c.number], c)
		}
	}
	timeout := pl.opts.Timeout
	if timeout == nil {
		timeout = s.stopTimeout
	}
	// Scale down first: containers numbered above the scale, and duplicates.
	for _, c := range existing {
		if c.number >= 1 && c.number <= s.scale && byNumber[c.number][0].ID == c.ID {
			continue
		}
		res := fmt.Sprintf("service:%s:%d", s.name, c.number)
		var deps []int
		if c.running() {
			deps = append(deps, pl.plan.add(&Op{Type: OpStopContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: c.number, Timeout: timeout, Cause: "scaled down"}))
		}
		pl.plan.add(&Op{Type: OpRemoveContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: c.number, Deps: deps, Cause: "scaled down"})
	}

	// Every container waits for every network and volume this up creates,
	// not only its own: up is networks, then volumes, then containers, as
	// in docker compose, which keeps a failed up's rollback simple.
	var createDeps []int
	for _, i := range pl.netOps {
		createDeps = append(createDeps, i)
	}
	for _, i := range pl.volOps {
		createDeps = append(createDeps, i)
	}
	if nmode := s.networkModeService(); nmode != "" {
		// "container:<name>" is resolved at create time: wait until the
		// (new) container #1 of the target has its final name and runs.
		createDeps = append(createDeps, pl.ready1[nmode])
	}
	for _, src := range s.volumesFromServices() {
		// So is volumes_from: the engine copies the mounts of the
		// container that has the name when this one is created.
		createDeps = append(createDeps, pl.ready1[src])
	}
	checkedSources := false
	sourcesExist := func() error {
		if checkedSources {
			return nil
		}
		checkedSources = true
		return pl.volumesFromExist(s)
	}
	restartWanted := false
	for _, d := range s.deps {
		if d.restart && pl.changed[d.service] {
			restartWanted = true
		}
	}

	// The wait ops are planned once, when a container first needs them, so
	// that a service with nothing to do waits for nothing.
	var gate []int
	gated := false
	gateOnce := func() []int {
		if pl.opts.NoStart {
			return nil // nothing starts: nothing waits
		}
		if !gated {
			gate, gated = pl.gate(s), true
		}
		return gate
	}
	for n := 1; n <= s.scale; n++ {
		name := pl.m.containerName(s, n)
		res := fmt.Sprintf("service:%s:%d", s.name, n)
		cs := byNumber[n]
		if len(cs) == 0 {
			if err := sourcesExist(); err != nil {
				return err
			}
			spec := pl.m.containerSpec(s, n, pl.obs.images[s.image], false)
			pl.obs.attachByID(spec)
			c := pl.plan.add(&Op{Type: OpCreateContainer, Resource: res, Target: name, Service: s.name, Number: n, Spec: spec, Deps: createDeps, Cause: "no container"})
			if pl.opts.NoStart {
				pl.created(s.name, n, name, c)
				continue
			}
			st := pl.plan.add(&Op{Type: OpStartContainer, Resource: res, Target: name, Service: s.name, Number: n, Deps: append([]int{c}, gateOnce()...), PostStart: s.postStart, Files: s.copies})
			pl.readyOps[s.name] = append(pl.readyOps[s.name], st)
			pl.refs[s.name] = append(pl.refs[s.name], name)
			if n == 1 {
				pl.ready1[s.name], pl.recreated[s.name] = st, true
			}
			continue
		}
		c := cs[0]
		if cause := pl.recreateCause(s, c); cause != "" {
			if err := sourcesExist(); err != nil {
				return err
			}
			tmp := shortID(c.ID) + "_" + name
			spec := pl.m.containerSpec(s, n, pl.obs.images[s.image], true)
			pl.obs.attachByID(spec)
			spec.Name = tmp
			cr := pl.plan.add(&Op{Type: OpCreateContainer, Resource: res, Target: tmp, Service: s.name, Number: n, Spec: spec, Deps: createDeps, Cause: cause})
			// The old container keeps running until the dependencies are
			// ready: a failed up then leaves it removed as late as possible.
			rmDeps := append([]int{cr}, gateOnce()...)
			if c.running() {
				rmDeps = []int{pl.plan.add(&Op{Type: OpStopContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: n, Timeout: timeout, Deps: rmDeps, Cause: "replaced"})}
			}
			rm := pl.plan.add(&Op{Type: OpRemoveContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: n, Deps: rmDeps, Cause: "replaced"})
			rn := pl.plan.add(&Op{Type: OpRenameContainer, Resource: res, Target: tmp, NewName: name, Service: s.name, Number: n, Deps: []int{rm, cr}})
			if pl.opts.NoStart {
				pl.changed[s.name] = true
				pl.created(s.name, n, name, rn)
				continue
			}
			st := pl.plan.add(&Op{Type: OpStartContainer, Resource: res, Target: name, Service: s.name, Number: n, Deps: append([]int{rn}, gateOnce()...), PostStart: s.postStart, Files: s.copies})
			pl.readyOps[s.name] = append(pl.readyOps[s.name], st)
			pl.refs[s.name] = append(pl.refs[s.name], name)
			pl.changed[s.name] = true
			if n == 1 {
				pl.ready1[s.name], pl.recreated[s.name] = st, true
			}
			continue
		}
		pl.refs[s.name] = append(pl.refs[s.name], c.ID)
		switch {
		case pl.opts.NoStart:
		case c.running() && restartWanted:
			cause := "a dependency was recreated (restart: true)"
			stop := pl.plan.add(&Op{Type: OpStopContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: n, Timeout: timeout, Deps: gateOnce(), Cause: cause})
			st := pl.plan.add(&Op{Type: OpStartContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: n, Deps: []int{stop}, Cause: cause, PostStart: s.postStart, Files: c.copies(s)})
			pl.readyOps[s.name] = append(pl.readyOps[s.name], st)
		case c.startable():
			st := pl.plan.add(&Op{Type: OpStartContainer, Resource: res, Target: c.ID, Name: c.Name, Service: s.name, Number: n, Deps: gateOnce(), Cause: "container is " + c.State, PostStart: s.postStart, Files: c.copies(s)})
			pl.readyOps[s.name] = append(pl.readyOps[s.name], st)
		}
	}
	return nil
}

// created records container n of service s, created (not started) by op:
// with NoStart it is the container's final op.
func (pl *upPlanner) created(service string, n int, name string, op int) {
	pl.readyOps[service] = append(pl.readyOps[service], op)
	pl.refs[service] = append(pl.refs[service], name)
	if n == 1 {
		pl.ready1[service], pl.recreated[service] = op, true
	}
}

// recreateCause says why an existing container must be replaced, or "".
func (pl *upPlanner) recreateCause(s *service, c observedContainer) string {
	if pl.opts.ForceRecreate {
		return "force recreate"
	}
	if name := pl.obs.detached(c); name != "" {
		// Even with NoRecreate: it cannot start without its network.
		return "network " + name + " had duplicates"
	}
	if pl.opts.NoRecreate {
		return ""
	}
	if c.hash() != s.hash {
		return "configuration changed"
	}
	if id := pl.obs.images[s.image]; id != "" && c.imageID() != "" && c.imageID() != id {
		return "image changed"
	}
	if c.State == "dead" {
		return "container is dead"
	}
	if nm := s.networkModeService(); nm != "" && pl.recreated[nm] {
		return "network_mode service:" + nm + " was recreated"
	}
	for _, src := range s.volumesFromServices() {
		// The container holds the mounts its source had when it was
		// created: a source replaced since (in this up, or in an earlier
		// one that left this service alone) means other volumes. docker
		// compose sees it as a change of the config hash, which it
		// computes over the source container's id.
		if pl.recreated[src] || pl.sourceIsNewer(src, c) {
			return "volumes_from service:" + src + " was recreated"
		}
	}
	// Containers made before the label, or by another tool, lack it.
	if had, ok := c.Labels[LabelVolumes]; ok && had != pl.m.volumeNames(s) {
		return "its named volumes changed"
	}
	return ""
}

// firstContainer is the observed container #1 of service name, the one
// its dependents' volumes_from names.
func (pl *upPlanner) firstContainer(name string) (observedContainer, bool) {
	want := pl.m.containerName(pl.m.services[name], 1)
	for _, c := range pl.obs.byService(name) {
		if c.number == 1 && c.Name == want {
			return c, true
		}
	}
	return observedContainer{}, false
}

// sourceIsNewer reports whether the container #1 of service src was
// created after c (both creation times known).
func (pl *upPlanner) sourceIsNewer(src string, c observedContainer) bool {
	first, ok := pl.firstContainer(src)
	if !ok {
		return false
	}
	t1, err1 := time.Parse(time.RFC3339Nano, first.Created)
	t2, err2 := time.Parse(time.RFC3339Nano, c.Created)
	return err1 == nil && err2 == nil && t1.After(t2)
}

// volumesFromExist checks, before a container of s is created, that each
// service it takes volumes from will have its container #1 by then: one
// this up creates, or one that exists. The engine would refuse the create
// anyway, but only once the plan has run partway.
func (pl *upPlanner) volumesFromExist(s *service) error {
	for _, src := range s.volumesFromServices() {
		target := pl.m.services[src]
		if pl.selected[src] && target.scale >= 1 {
			continue
		}
		if _, ok := pl.firstContainer(src); ok {
			continue
		}
		why := "has no container: bring it up first"
		if target.scale < 1 {
			why = "is scaled to 0"
		}
		return serviceError(core.KindInvalidConfig, s.name, nil,
			"service %q: cannot share the volumes of service %q: it %s", s.name, src, why).With("dependency", src)
	}
	return nil
}

// volumeNames is LabelVolumes' value for the containers of s.
func (m *model) volumeNames(s *service) string {
	names := make([]string, 0, len(s.volumeKeys))
	for _, k := range s.volumeKeys {
		names = append(names, m.volumes[k].name)
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// containerSpec is the spec of container n of s. imageID is the image's id
// when known; replaces says it replaces the service's container n.
func (m *model) containerSpec(s *service, n int, imageID string, replaces bool) *core.ContainerSpec {
	spec := s.spec
	spec.Name = m.containerName(s, n)
	ownAliases(&spec, s, true)
	spec.Ports = replicaPorts(s.ports, n)
	spec.Labels = maps.Clone(s.spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	maps.Copy(spec.Labels, m.extraLabels)
	if len(s.files) > 0 {
		spec.Volumes = slices.Clone(s.spec.Volumes)
		spec.SecurityOpt = slices.Clone(s.spec.SecurityOpt)
		for _, f := range s.files {
			if f.copied {
				spec.Labels[LabelCopiedFiles] = "true"
				continue
			}
			if f.kind == "seccomp" {
				spec.SecurityOpt[f.opt] = "seccomp=" + m.filePath(f)
			} else {
				spec.Volumes = append(spec.Volumes, m.filePath(f)+":"+f.target+":ro")
			}
			if f.write != nil {
				// Down finds the directory again by this label.
				spec.Labels[LabelStateDir] = m.stateDir
			}
		}
	}
	deps := make([]string, 0, len(s.deps))
	for _, d := range s.deps {
		deps = append(deps, d.String())
	}
	maps.Copy(spec.Labels, map[string]string{
		LabelProject:     m.name,
		LabelService:     s.name,
		LabelNumber:      strconv.Itoa(n),
		LabelOneoff:      "False",
		LabelConfigHash:  s.hash,
		LabelWorkingDir:  m.workingDir,
		LabelConfigFiles: strings.Join(m.configFiles, ","),
		LabelDependsOn:   strings.Join(deps, ","),
		LabelVersion:     Version,
		LabelManaged:     "1",
		LabelVolumes:     m.volumeNames(s),
	})
	if imageID != "" {
		spec.Labels[LabelImage] = imageID
	}
	if replaces {
		// What docker compose writes: the replaced container's
		// container_name, else "{service}-{number}" without the project.
		old := s.containerName
		if old == "" {
			old = s.name + "-" + strconv.Itoa(n)
		}
		spec.Labels[LabelReplace] = old
	}
	return &spec
}

// resourceLabels are a network's or a volume's labels.
func (m *model) resourceLabels(own map[string]string, kindLabel, key string) map[string]string {
	out := maps.Clone(own)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, m.extraLabels)
	out[LabelProject] = m.name
	out[kindLabel] = key
	out[LabelVersion] = Version
	out[LabelManaged] = "1"
	return out
}

// planWait plans --wait: every service's containers ready, as observed
// after the up.
func planWait(m *model, obs *observedState, services []string) *Plan {
	p := &Plan{}
	for _, name := range services {
		var refs []string
		for _, c := range obs.byService(name) {
			refs = append(refs, c.ID)
		}
		p.add(&Op{Type: OpWaitService, Resource: "service:" + name, Service: name,
			Wait: m.services[name].waitSpec(conditionReady, "", refs, false)})
	}
	return p
}

// planDown stops containers in reverse dependency order (dependents
// first), removes them, then removes the project's networks and, when
// asked, its volumes and images.
func planDown(m *model, obs *observedState, opts DownOptions) *Plan {
	p := &Plan{}
	dependents := m.dependents()
	stops := map[string][]int{}
	var removes []int
	order := slices.Clone(m.order)
	slices.Reverse(order)
	// Orphans go first: nothing in the project depends on them.
	for _, c := range obs.containers {
		if _, ok := m.services[c.service]; ok || m.disabled[c.service] {
			continue
		}
		p.Orphans = append(p.Orphans, c.Name)
		if opts.RemoveOrphans {
			ops := stopRemove(p, c, opts.Timeout, nil, nil, "orphan")
			removes = append(removes, ops[len(ops)-1])
		}
	}
	for _, name := range order {
		s := m.services[name]
		timeout := opts.Timeout
		if timeout == nil {
			timeout = s.stopTimeout
		}
		var after []int
		for _, d := range dependents[name] {
			after = append(after, stops[d]...)
		}
		for _, c := range obs.byService(name) {
			// Dependencies wait for their dependents' stop (or removal,
			// for a container that was not running).
			ops := stopRemove(p, c, timeout, s.preStop, after, "")
			removes = append(removes, ops[len(ops)-1])
			stops[name] = append(stops[name], ops[0])
		}
	}
	// Every network and volume of the project found by label, duplicates
	// included, removed by id (docs/design.md, Names and labels).
	orphansLeft := len(p.Orphans) > 0 && !opts.RemoveOrphans
	for _, n := range obs.labelledNetworks(m) {
		k := n.Labels[LabelNetwork]
		target := n.Name
		if obs.byID && n.ID != "" {
			target = n.ID
		}
		// Orphans left running keep using the networks: then removing them
		// fails, and that is a warning, as in docker compose, not a failed down.
		p.add(&Op{Type: OpRemoveNetwork, Resource: "network:" + k, Target: target, Name: n.Name, Deps: removes, Tolerant: true, Optional: orphansLeft})
	}
	if opts.Volumes {
		for _, v := range obs.labelledVolumes(m) {
			p.add(&Op{Type: OpRemoveVolume, Resource: "volume:" + v.Labels[LabelVolume], Target: v.Name, Deps: removes, Tolerant: true})
		}
	}
	if opts.RemoveImages == "all" || opts.RemoveImages == "local" {
		seen := map[string]bool{}
		for _, name := range m.order {
			s := m.services[name]
			if seen[s.image] || (opts.RemoveImages == "local" && s.cfg.Image != "") {
				continue
			}
			seen[s.image] = true
			p.add(&Op{Type: OpRemoveImage, Resource: "image:" + s.image, Target: s.image, Deps: removes, Tolerant: true})
		}
	}
	return p
}

// labelledNetworks are the networks down removes: those carrying the
// project's label and the key of one of its networks that is not external
// (never what another project or the user made), every duplicate, sorted
// by key and id.
func (o *observedState) labelledNetworks(m *model) []core.NetworkInfo {
	list := o.projectNetworks
	if !o.labelled { // a snapshot made by name only
		list = slices.Collect(maps.Values(o.networks))
		for _, d := range o.dupNetworks {
			list = append(list, d...)
		}
	}
	var out []core.NetworkInfo
	for _, n := range list {
		k, ok := n.Labels[LabelNetwork]
		if !ok && n.Labels[LabelProject] == m.name {
			k, ok = m.networkKey(n.Name) // labelled by a tool that omits the key
		}
		if nw := m.networks[k]; !ok || nw == nil || nw.external || n.Labels[LabelProject] != m.name {
			continue
		}
		n.Labels = maps.Clone(n.Labels)
		n.Labels[LabelNetwork] = k
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Labels[LabelNetwork] != b.Labels[LabelNetwork] {
			return a.Labels[LabelNetwork] < b.Labels[LabelNetwork]
		}
		return a.ID < b.ID
	})
	return out
}

// labelledVolumes are the volumes down -v removes, found as
// labelledNetworks are, sorted by key.
func (o *observedState) labelledVolumes(m *model) []core.VolumeInfo {
	list := o.projectVolumes
	if !o.labelled {
		list = slices.Collect(maps.Values(o.volumes))
	}
	var out []core.VolumeInfo
	for _, v := range list {
		k, ok := v.Labels[LabelVolume]
		if !ok && v.Labels[LabelProject] == m.name {
			k, ok = m.volumeKey(v.Name)
		}
		if vol := m.volumes[k]; !ok || vol == nil || vol.external || v.Labels[LabelProject] != m.name {
			continue
		}
		v.Labels = maps.Clone(v.Labels)
		v.Labels[LabelVolume] = k
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Labels[LabelVolume] != out[j].Labels[LabelVolume] {
			return out[i].Labels[LabelVolume] < out[j].Labels[LabelVolume]
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// networkKey is the key of the project's network named name.
func (m *model) networkKey(name string) (string, bool) {
	for k, nw := range m.networks {
		if nw.name == name {
			return k, true
		}
	}
	return "", false
}

// volumeKey is the key of the project's volume named name.
func (m *model) volumeKey(name string) (string, bool) {
	for k, v := range m.volumes {
		if v.name == name {
			return k, true
		}
	}
	return "", false
}

// stopRemove adds a stop (when running, after the pre_stop hooks) and a
// remove of c; it returns the ops added, the remove last.
func stopRemove(p *Plan, c observedContainer, timeout *int, preStop []Hook, after []int, cause string) []int {
	res := fmt.Sprintf("service:%s:%d", c.service, c.number)
	var ops []int
	deps := after
	if c.running() {
		st := p.add(&Op{Type: OpStopContainer, Resource: res, Target: c.ID, Name: c.Name, Service: c.service, Number: c.number, Timeout: timeout, Deps: after, Tolerant: true, Cause: cause,
			PreStop: preStop})
		ops = append(ops, st)
		deps = []int{st}
	}
	rm := p.add(&Op{Type: OpRemoveContainer, Resource: res, Target: c.ID, Name: c.Name, Service: c.service, Number: c.number, Deps: deps, Tolerant: true, Cause: cause})
	return append(ops, rm)
}

// planStop stops the running containers of services, dependents first.
func planStop(m *model, obs *observedState, services []string, timeoutOpt *int) *Plan {
	p := &Plan{}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	dependents := m.dependents()
	stops := map[string][]int{}
	for i := len(m.order) - 1; i >= 0; i-- {
		name := m.order[i]
		if !want[name] {
			continue
		}
		timeout := timeoutOpt
		if timeout == nil {
			timeout = m.services[name].stopTimeout
		}
		var after []int
		for _, d := range dependents[name] {
			after = append(after, stops[d]...)
		}
		for _, c := range obs.byService(name) {
			if !c.running() {
				continue
			}
			stops[name] = append(stops[name], p.add(&Op{Type: OpStopContainer, Resource: fmt.Sprintf("service:%s:%d", name, c.number),
				Target: c.ID, Name: c.Name, Service: name, Number: c.number, Timeout: timeout, Deps: after, Tolerant: true, PreStop: m.services[name].preStop}))
		}
	}
	return p
}

// planStart starts the stopped containers of services (in dependency
// order, honouring depends_on conditions); restart stops them first, and
// also restarts the dependents declared with restart: true.
func planStart(m *model, obs *observedState, services []string, restart bool, timeoutOpt *int) (*Plan, error) {
	p := &Plan{}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	if restart {
		for _, name := range m.order { // dependency order: a dependency is decided before its dependents
			for _, d := range m.services[name].deps {
				if d.restart && want[d.service] {
					want[name] = true
				}
			}
		}
	}
	ready := map[string][]int{}
	refs := map[string][]string{}
	for _, name := range m.order {
		if !want[name] {
			continue
		}
		cs := obs.byService(name)
		if len(cs) == 0 {
			return nil, serviceError(core.KindNotFound, name, nil, "service %q has no container: run up first", name)
		}
		for _, c := range cs {
			refs[name] = append(refs[name], c.ID)
		}
	}
	for _, name := range m.order {
		if !want[name] {
			continue
		}
		s := m.services[name]
		var gate []int
		for _, d := range s.deps {
			if !want[d.service] {
				continue
			}
			gate = append(gate, p.add(&Op{Type: OpWaitService, Resource: "service:" + d.service, Service: d.service,
				Deps: ready[d.service], Optional: !d.required,
				Wait:  m.services[d.service].waitSpec(d.condition, name, refs[d.service], !d.required),
				Cause: name + " depends on it"}))
		}
		timeout := timeoutOpt
		if timeout == nil {
			timeout = s.stopTimeout
		}
		for _, c := range obs.byService(name) {
			res := fmt.Sprintf("service:%s:%d", name, c.number)
			switch {
			case restart:
				// A stopped container has nothing for pre_stop to prepare.
				var preStop []Hook
				if c.running() {
					preStop = s.preStop
				}
				ready[name] = append(ready[name], p.add(&Op{Type: OpRestartContainer, Resource: res, Target: c.ID, Name: c.Name, Service: name, Number: c.number, Timeout: timeout, Deps: gate,
					PreStop: preStop, PostStart: s.postStart}))
			case !c.running():
				ready[name] = append(ready[name], p.add(&Op{Type: OpStartContainer, Resource: res, Target: c.ID, Name: c.Name, Service: name, Number: c.number, Deps: gate, PostStart: s.postStart, Files: c.copies(s)}))
			}
		}
	}
	return p, nil
}
